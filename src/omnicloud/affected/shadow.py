"""Recording the per-test map, shadow runs and their statistics.

``record`` runs the plain test suite once with the recorder plugin (the map's full run).
``shadow`` runs the full suite alongside a selection, as a scheduled job would: every test's
outcome is compared with what was selected, and one line per change goes to
``.omnicloud/shadow.jsonl`` (selected, total, failing, missed). ``stats`` reads those lines back:
per-change recall (changes whose failing tests were all selected), per-test recall (failing tests
selected) and the mean selection ratio, the figures predictive test selection is judged by.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnicloud.affected.execute import Runner, source_path
from omnicloud.affected.select import Selection

SHADOW_LOG = Path(".omnicloud/shadow.jsonl")
RECORDER = ("-p", "omnicloud.affected.recorder")


def tool_path() -> list[str]:
    """Where this process imports omnicloud from: appended to the project's path so the
    recorder plugin (standard library only besides pytest) loads in the project's interpreter
    (its own packages still win)."""
    import omnicloud

    return [str(Path(omnicloud.__file__ or "").resolve().parent.parent)]


def run_suite(
    project_dir: Path,
    runner: Runner,
    targets: Sequence[str],
    extra: Sequence[str],
    roots: Sequence[str],
) -> int:
    env = dict(os.environ)
    path = source_path(project_dir, roots, os.environ)
    env["PYTHONPATH"] = os.pathsep.join([p for p in [path, *tool_path()] if p])
    command = [*runner.command, *targets, *RECORDER, *extra]
    return subprocess.run(command, cwd=project_dir, env=env, check=False).returncode


def record(
    project_dir: Path,
    runner: Runner,
    test_paths: Sequence[str],
    map_path: Path,
    roots: Sequence[str],
    *,
    pytest_args: Sequence[str] = (),
) -> int:
    """The full run that writes the map; its exit code is pytest's."""
    print(f"affected: recording the test map {map_path} with {runner.why}", flush=True)
    extra = ["--omnicloud-record-map", str(map_path), *pytest_args]
    return run_suite(project_dir, runner, test_paths, extra, roots)


@dataclass(frozen=True)
class ShadowRecord:
    """One change's shadow run: what was selected and which failing tests it missed."""

    when: float
    base: str
    selected: int
    total: int
    failing: tuple[str, ...]
    missed: tuple[str, ...]
    full_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "when": self.when,
            "base": self.base,
            "selected": self.selected,
            "total": self.total,
            "failing": list(self.failing),
            "missed": list(self.missed),
            "full_run": self.full_run,
        }


def is_selected(test: str, selection: Selection) -> bool:
    """Whether a pytest node id is in the selection (a whole file, a test, a parametrization)."""
    if selection.full_run:
        return True
    for item in selection.tests:
        if not test.startswith(item.name):
            continue
        if not item.tests:
            return test == item.name or test.startswith(item.name + "::")
        for chosen in item.tests:
            if test == chosen or test.startswith((chosen + "[", chosen + "::")):
                return True
    return False


def compare(selection: Selection, outcomes: dict[str, str]) -> ShadowRecord:
    """Pure: the shadow record of one change, from the full run's outcome per test."""
    selected = [t for t in outcomes if is_selected(t, selection)]
    failing = tuple(sorted(t for t, o in outcomes.items() if o == "failed"))
    chosen = set(selected)
    return ShadowRecord(
        when=time.time(),
        base=selection.base,
        selected=len(selected),
        total=len(outcomes),
        failing=failing,
        missed=tuple(t for t in failing if t not in chosen),
        full_run=selection.full_run is not None,
    )


def shadow(
    project_dir: Path,
    selection: Selection,
    runner: Runner,
    test_paths: Sequence[str],
    roots: Sequence[str],
    *,
    map_path: Path | None = None,
    log: Path | None = None,
    pytest_args: Sequence[str] = (),
) -> tuple[int, ShadowRecord]:
    """Run the full suite, compare with ``selection``, append the record; refresh the map."""
    with tempfile.TemporaryDirectory(prefix="omnicloud-shadow-") as tmp:
        outcomes_path = Path(tmp) / "outcomes.json"
        extra = ["--omnicloud-outcomes", str(outcomes_path), *pytest_args]
        if map_path is not None:
            extra += ["--omnicloud-record-map", str(map_path)]
        code = run_suite(project_dir, runner, test_paths, extra, roots)
        try:
            outcomes = json.loads(outcomes_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            outcomes = {}
    found = compare(selection, outcomes)
    target = log or project_dir / SHADOW_LOG
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as out:
        out.write(json.dumps(found.to_json()) + "\n")
    return code, found


@dataclass(frozen=True)
class Stats:
    changes: int
    changes_with_failures: int
    changes_caught: int
    failing: int
    caught: int
    mean_ratio: float

    @property
    def change_recall(self) -> float | None:
        return (
            self.changes_caught / self.changes_with_failures if self.changes_with_failures else None
        )

    @property
    def test_recall(self) -> float | None:
        return self.caught / self.failing if self.failing else None


def read_log(path: Path) -> list[ShadowRecord]:
    records = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    for line in lines:
        if not line.strip():
            continue
        raw = json.loads(line)
        records.append(
            ShadowRecord(
                when=float(raw["when"]),
                base=str(raw["base"]),
                selected=int(raw["selected"]),
                total=int(raw["total"]),
                failing=tuple(raw["failing"]),
                missed=tuple(raw["missed"]),
                full_run=bool(raw.get("full_run", False)),
            )
        )
    return records


def stats(records: Iterable[ShadowRecord]) -> Stats:
    """Per-change and per-test recall and the mean selection ratio over recorded changes."""
    items = list(records)
    with_failures = [r for r in items if r.failing]
    ratios = [r.selected / r.total for r in items if r.total]
    return Stats(
        changes=len(items),
        changes_with_failures=len(with_failures),
        changes_caught=sum(1 for r in with_failures if not r.missed),
        failing=sum(len(r.failing) for r in items),
        caught=sum(len(r.failing) - len(r.missed) for r in items),
        mean_ratio=sum(ratios) / len(ratios) if ratios else 0.0,
    )


def render_stats(found: Stats, path: Path) -> str:
    def share(value: float | None) -> str:
        return "n/a (no failing change recorded)" if value is None else f"{value:.1%}"

    return "\n".join(
        [
            f"shadow runs in {path}: {found.changes} change(s)",
            f"  per-change recall: {share(found.change_recall)}"
            f" ({found.changes_caught} of {found.changes_with_failures} failing changes"
            " had every failing test selected)",
            f"  per-test recall:   {share(found.test_recall)}"
            f" ({found.caught} of {found.failing} failing tests selected)",
            f"  selection ratio:   {found.mean_ratio:.1%} of the tests, on average",
        ]
    )


def render_record(found: ShadowRecord) -> str:
    missed = f"; MISSED: {', '.join(found.missed)}" if found.missed else ""
    ratio = found.selected / found.total if found.total else 0.0
    return (
        f"shadow: selected {found.selected} of {found.total} tests ({ratio:.1%}); failing"
        f" {len(found.failing)}, caught {len(found.failing) - len(found.missed)}{missed}"
    )
