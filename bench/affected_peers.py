"""Recall and selection ratio next to the peers, on the same seeded edits.

    python bench/affected_peers.py [--python /work/venv/bin/python]

Builds the generated src-layout ``shop`` project of tests/affected/test_map_selection.py (a
package under ``src/``, four test files, JSON and TOML fixtures) in a temporary git repository,
records on ``main``:

- omnicloud's per-test map (``omnicloud affected --record``);
- pytest-testmon's database (``pytest --testmon``, every test run under coverage);

then, for each seeded edit (source and data bugs, and one harmless comment) committed on a
branch, runs the full suite to know which tests fail, and counts what each selector picks:

- omnicloud: ``compute_selection`` with the map (what ``omnicloud affected`` selects);
- pytest-testmon: ``pytest --testmon`` from the database recorded on ``main``;
- pytest-picked: ``pytest --picked --mode=branch --parent-branch=main`` (changed test files only).

It prints, per edit and on average, recall (failing tests selected / failing tests) and
selection ratio (tests selected / all tests). pytest-testmon and pytest-picked must be installed
in ``--python``'s environment (``pip install pytest-testmon pytest-picked``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "affected"))

from affected_repo import Project
from test_map_selection import CONFIG, EDITS, FILES

from omnicloud.affected import compute_selection
from omnicloud.affected.shadow import is_selected
from omnicloud.config import load_config

SELECTORS = ("omnicloud", "testmon", "picked")
#: Plugins of the bench's own environment that must not change a run's selection or order.
QUIET = ("-p", "no:randomly", "-p", "no:xdist", "-o", "addopts=")


@dataclass
class Row:
    edit: str
    failing: frozenset[str]
    total: int
    selected: dict[str, frozenset[str]]

    def recall(self, selector: str) -> float | None:
        if not self.failing:
            return None
        return len(self.failing & self.selected[selector]) / len(self.failing)

    def ratio(self, selector: str) -> float:
        return len(self.selected[selector]) / self.total


def environment(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_BASE_REF", "PYTHONPATH")}
    env["PYTHONPATH"] = str(root / "src")  # the working tree's package, as --run does
    return env


def pytest_run(root: Path, python: str, *args: str) -> tuple[dict[str, str], str]:
    """Run pytest; returns the outcome of every test that ran (from JUnit) and the output."""
    junit = root / ".omnicloud" / "bench-junit.xml"
    junit.unlink(missing_ok=True)
    done = subprocess.run(
        [python, "-m", "pytest", "-q", *QUIET, f"--junitxml={junit}", *args],
        cwd=root,
        env=environment(root),
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    if not junit.is_file():
        return {}, output
    outcomes: dict[str, str] = {}
    for case in ET.parse(junit).iter("testcase"):
        node = case.get("classname", "").replace(".", "/") + ".py::" + case.get("name", "")
        if case.find("skipped") is not None:
            continue
        failed = case.find("failure") is not None or case.find("error") is not None
        outcomes[node] = "failed" if failed else "passed"
    return outcomes, output


def build(root: Path) -> Project:
    project = Project(root)
    root.mkdir()
    project.git("init", "-q", "-b", "main")
    project.write("omnicloud.toml", CONFIG)
    project.write(".gitignore", ".omnicloud/\n.testmondata*\n.pytest_cache/\n")
    for path, text in FILES.items():
        project.write(path, text)
    project.commit("shop")
    return project


def record(project: Project, python: str) -> Path:
    """Record omnicloud's map and testmon's database on main; returns the database's copy."""
    root = project.root
    done = subprocess.run(
        [python, "-m", "omnicloud", "affected", "--record"],
        cwd=root,
        env=environment(root),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"omnicloud affected --record failed:\n{done.stdout}{done.stderr}")
    outcomes, output = pytest_run(root, python, "-p", "no:picked", "--testmon", "tests")
    if not outcomes:
        raise SystemExit(f"pytest --testmon recorded nothing:\n{output}")
    saved = root / ".omnicloud" / "testmon-base"
    saved.mkdir()
    for path in root.glob(".testmondata*"):  # the SQLite file and its write-ahead log
        shutil.copyfile(path, saved / path.name)
    return saved


def restore(root: Path, saved: Path) -> None:
    """testmon's database as recorded on main, and no last-failed state from other runs."""
    for path in root.glob(".testmondata*"):
        path.unlink()
    for path in saved.iterdir():
        shutil.copyfile(path, root / path.name)
    shutil.rmtree(root / ".pytest_cache", ignore_errors=True)


def measure(project: Project, python: str, name: str, database: Path) -> Row:
    root = project.root
    full, output = pytest_run(
        root, python, "-p", "no:testmon", "-p", "no:picked", "-p", "no:cacheprovider", "tests"
    )
    if not full:
        raise SystemExit(f"the full run ran nothing on {name!r}:\n{output}")
    failing = frozenset(t for t, outcome in full.items() if outcome == "failed")
    config = load_config(root / "omnicloud.toml", environ={})
    selection = compute_selection(config, environ={}).selection
    ours = frozenset(t for t in full if is_selected(t, selection))
    restore(root, database)  # every edit judged against main's record
    testmon, _ = pytest_run(root, python, "-p", "no:picked", "--testmon", "tests")
    picked, _ = pytest_run(
        root, python, "-p", "no:testmon", "-p", "no:cacheprovider", "--picked",
        "--mode=branch", "--parent-branch=main",
    )  # fmt: skip
    return Row(
        edit=name,
        failing=failing,
        total=len(full),
        selected={"omnicloud": ours, "testmon": frozenset(testmon), "picked": frozenset(picked)},
    )


def share(value: float | None) -> str:
    return "   -" if value is None else f"{value:4.0%}"


def report(rows: list[Row]) -> None:
    width = max(len(r.edit) for r in rows)
    head = "  ".join(f"{s:>16}" for s in SELECTORS)
    print(f"{'edit':<{width}}  failing  {head}")
    sub = "  ".join(f"{'recall  ratio':>16}" for _ in SELECTORS)
    print(f"{'':<{width}}           {sub}")
    for row in rows:
        cells = "  ".join(
            f"{share(row.recall(s)):>7} {row.ratio(s):6.1%}" + " " * 2 for s in SELECTORS
        )
        print(f"{row.edit:<{width}}  {len(row.failing):>7}  {cells}")
    print("mean:")
    for selector in SELECTORS:
        failing = sum(len(r.failing) for r in rows)
        caught = sum(len(r.failing & r.selected[selector]) for r in rows)
        changes = [r for r in rows if r.failing]
        whole = sum(1 for r in changes if r.failing <= r.selected[selector])
        ratio = statistics.mean(r.ratio(selector) for r in rows)
        print(
            f"  {selector:<10} per-test recall {caught}/{failing} ({caught / failing:.0%}),"
            f" per-change recall {whole}/{len(changes)},"
            f" mean selection {ratio:.1%} of the tests"
        )
    both = [r for r in rows if all(r.recall(s) in (None, 1.0) for s in ("omnicloud", "testmon"))]
    means = ", ".join(
        f"{s} {statistics.mean(r.ratio(s) for r in both):.1%}" for s in ("omnicloud", "testmon")
    )
    same = all(r.selected["omnicloud"] == r.selected["testmon"] for r in both)
    print(
        f"  on the {len(both)} edits where omnicloud and testmon both reach full recall: {means}"
        f" ({'the same tests' if same else 'different tests'})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="where the peers are installed")
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="omnicloud-bench-peers-"))
    try:
        project = build(folder / "shop")
        database = record(project, options.python)
        rows = []
        for number, (name, edit) in enumerate(EDITS.items()):
            project.git("checkout", "-q", "-B", f"change-{number}", "main")
            edit(project)
            project.commit(name)
            rows.append(measure(project, options.python, name, database))
            project.git("checkout", "-q", "main")
        print(f"project: {rows[0].total} tests, {len(rows)} seeded edits committed on branches")
        report(rows)
        for row in rows:
            for selector in ("omnicloud", "testmon"):
                missed = sorted(row.failing - row.selected[selector])
                if missed:
                    print(f"  {selector} missed on {row.edit!r}: {', '.join(missed)}")
    finally:
        if options.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
