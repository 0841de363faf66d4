"""Change-based selection on a generated repository: cold, warm, and next to the peers.

    python bench/affected.py [--modules 10000] [--tests 100000] [--peers]
                             [--peer-python /tmp/affected-peers/bin/python]
                             [--map] [--overhead-tests 2000]

Generates a git repository in a temporary folder: ``--modules`` Python modules in 100 packages,
each importing three others (absolute, relative and function-level imports), test files holding
``--tests`` test functions that import the module they test, 100 providers (one per package) in
``omnicloud.toml``, and a ``durations.json`` with every test's node id. A feature branch changes
one module in the middle of a package near the top of the layers. It then times, in-process:

- cold: no import cache, every file parsed (this is also the "naive" approach of re-parsing
  everything on every run);
- warm: the import cache keyed by git blob id (median of 5 runs);
- the ``omnicloud affected --json`` command end to end (interpreter start-up included).

``--map`` also writes a per-test map for every test (what ``omnicloud affected --record``
would record: each test executes the ``late`` function of the module it tests) and times the
selection with the map kept warm (median of 5). ``--overhead-tests N`` generates a separate
small project of N real tests that call into their code, and times the same full pytest run
with and without the recorder plugin, and pytest-testmon's recording run when it is installed
(medians of 3, interleaved; CPU time of the child and wall time): the map's recording overhead.

``--peers`` also times ``pytest --picked`` and ``pytest --testmon`` (installed in the separate
environment named by ``--peer-python``, so their pytest plugins never load in the project's own
environment) on the same repository. See docs/performance-affected.md for what they can and
cannot be compared on.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

from omnicloud.affected import AffectedResult, compute_selection
from omnicloud.config import load_config

PACKAGES = 100
TESTS_PER_FILE = 20
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        env=GIT_ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def module_source(rng: random.Random, package: int, index: int, per_package: int) -> str:
    """A layered codebase: a module imports lower modules of its own package (relative and
    function-level imports) and one module of one of the three packages below it."""
    lines = ['"""Generated module."""', ""]
    if package > 0:
        lower = rng.randrange(max(0, package - 3), package)
        lines.append(f"from pkg{lower} import mod{rng.randrange(per_package)}")
    if index > 0:
        lines.append(f"from . import mod{rng.randrange(index)} as sibling")
        lines += [
            "",
            "",
            "def late():",
            f"    from pkg{package}.mod{rng.randrange(index)} import VALUE",
            "",
            "    return VALUE",
        ]
    lines += ["", "", f"VALUE = {index}", "", "", "class Provider:", "    pass", ""]
    return "\n".join(lines)


def test_source(package: int, index: int, count: int) -> str:
    lines = [f"from pkg{package} import mod{index}", ""]
    for number in range(count):
        lines += ["", f"def test_{number}():", f"    assert mod{index}.VALUE == {index}", ""]
    return "\n".join(lines)


def changed_module(modules: int) -> str:
    """The module the feature branch changes: tests and providers depend on it."""
    return f"src/pkg90/mod{max(1, modules // PACKAGES) // 10}.py"


def generate(root: Path, modules: int, tests: int) -> dict[str, float]:
    """Write the repository and commit it; returns timings."""
    started = time.perf_counter()
    rng = random.Random(42)
    per_package = max(1, modules // PACKAGES)
    tests_per_file = TESTS_PER_FILE
    test_files = max(1, tests // tests_per_file)
    durations: dict[str, float] = {}
    for package in range(PACKAGES):
        folder = root / "src" / f"pkg{package}"
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        for index in range(per_package):
            (folder / f"mod{index}.py").write_text(module_source(rng, package, index, per_package))
    tests_root = root / "tests"
    for number in range(test_files):
        package, index = number % PACKAGES, (number // PACKAGES) % per_package
        folder = tests_root / f"pkg{package}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"test_p{package}_mod{index}.py"  # unique basenames for pytest
        path.write_text(test_source(package, index, tests_per_file))
        for test in range(tests_per_file):
            durations[f"tests/pkg{package}/test_p{package}_mod{index}.py::test_{test}"] = (
                rng.random()
            )
    config = [
        "[project]",
        'base_ref = "main"',
        "",
        "[affected]",
        'test_paths = ["tests"]',
        'always = ["pyproject.toml"]',
        "",
    ]
    for package in range(PACKAGES):
        config += [
            f"[providers.p{package}-kv]",
            'contract = "kv_store"',
            f'factory = "pkg{package}.mod{per_package - 1}:Provider"',
            "",
        ]
    (root / "omnicloud.toml").write_text("\n".join(config))
    (root / ".gitignore").write_text(".omnicloud/\n.pytest_cache/\n.testmondata*\n")
    (root / "pytest.ini").write_text("[pytest]\npythonpath = src\n")
    (root / ".omnicloud").mkdir()
    (root / ".omnicloud/durations.json").write_text(json.dumps(durations))
    written = time.perf_counter() - started
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "--all")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    changed = root / changed_module(modules)
    changed.write_text(changed.read_text() + "\nEXTRA = 1\n")
    git(root, "commit", "-q", "-am", "change one module")
    return {"write": written, "git": time.perf_counter() - started - written}


def time_selection(root: Path, *, cold: bool) -> tuple[float, float, object]:
    """Wall and CPU seconds of one in-process selection (CPU excludes the git children)."""
    if cold:
        shutil.rmtree(root / ".omnicloud/cache", ignore_errors=True)
    config = load_config(root / "omnicloud.toml", environ={})
    started, cpu = time.perf_counter(), time.process_time()
    result = compute_selection(config, environ={})
    return time.perf_counter() - started, time.process_time() - cpu, result


def time_command(root: Path, python: str, *args: str) -> tuple[float, str]:
    env = {k: v for k, v in GIT_ENV.items() if not k.startswith(("GITHUB_", "CI_"))}
    started = time.perf_counter()
    done = subprocess.run(
        [shutil.which(python) or python, *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return time.perf_counter() - started, done.stdout + done.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=10_000)
    parser.add_argument("--tests", type=int, default=100_000)
    parser.add_argument("--peers", action="store_true", help="also time pytest-picked/testmon")
    parser.add_argument("--peer-python", default="/tmp/affected-peers/bin/python")
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    parser.add_argument("--map", action="store_true", help="time selection with a per-test map")
    parser.add_argument("--overhead-tests", type=int, default=0, metavar="N")
    options = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="omnicloud-bench-affected-"))
    try:
        generated = generate(root, options.modules, options.tests)
        print(
            f"repository: {options.modules} modules, {options.tests} tests in {root}"
            f" (written in {generated['write']:.1f} s, committed in {generated['git']:.1f} s)"
        )
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        cold, cold_cpu, result = time_selection(root, cold=True)
        runs = [time_selection(root, cold=False) for _ in range(5)]
        warm = statistics.median(r[0] for r in runs)
        warm_cpu = statistics.median(r[1] for r in runs)
        selection = result.selection  # type: ignore[attr-defined]
        print(f"selected: {len(selection.providers)} providers, {len(selection.tests)} test files")
        for item in list(selection.providers)[:2]:
            print(f"  {item.justification}")
        print(f"cold (naive: re-parse everything): {cold:.3f} s wall, {cold_cpu:.3f} s CPU")
        print(
            f"warm (imports cached by blob id):  {warm:.3f} s wall, {warm_cpu:.3f} s CPU"
            " (median of 5)"
        )
        print(
            f"warm speed-up over re-parsing:     {cold / warm:.1f}x wall,"
            f" {cold_cpu / warm_cpu:.1f}x CPU"
        )
        command, _ = time_command(root, "omnicloud", "affected", "--json")
        print(f"'omnicloud affected --json' end to end, warm: {command:.3f} s")
        if options.map:
            with_map(root, options.tests)
        if options.overhead_tests:
            recording_overhead(options.overhead_tests)
        if options.peers:
            peers(root, options.peer_python, options.modules)
    finally:
        if options.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


def write_map(root: Path) -> int:
    """A per-test map as a recording would write it; returns the number of tests in it."""
    from omnicloud.affected.testmap import (
        TestMap,
        blob_id,
        cut_units,
        digest,
        save_map,
        toolchain_digest,
    )

    test_map = TestMap(toolchain=toolchain_digest(root))
    for test_file in sorted((root / "tests").rglob("test_*.py")):
        rel = test_file.relative_to(root).as_posix()
        text = test_file.read_text()
        units = cut_units(text)
        assert units is not None
        first = len(test_map.tests)
        names = [n for n in units.fingerprints if n.startswith("test_")]
        test_map.tests += [f"{rel}::{name}" for name in names]
        ids = list(range(first, len(test_map.tests)))
        test_map.test_files[rel] = digest(text)
        test_map.code[rel] = {
            "blob": blob_id(text.encode()),
            "fingerprint": digest(text),
            "units": dict(units.fingerprints),
            "used": {name: [first + i] for i, name in enumerate(names)},
        }
        module = rel.split("/")[1], rel.rpartition("_")[2].removesuffix(".py")
        source_rel = f"src/{module[0]}/{module[1]}.py"
        source = (root / source_rel).read_text()
        source_units = cut_units(source)
        assert source_units is not None
        if "late" not in source_units.fingerprints:
            continue  # no test executes a line of it: a recording leaves it out
        entry = test_map.code.setdefault(
            source_rel,
            {
                "blob": blob_id(source.encode()),
                "fingerprint": digest(source),
                "units": dict(source_units.fingerprints),
                "used": {},
            },
        )
        entry["used"].setdefault("late", []).extend(ids)
    save_map(test_map, root / ".omnicloud" / "testmap.json")
    return len(test_map.tests)


def with_map(root: Path, tests: int) -> None:
    started = time.perf_counter()
    git(root, "checkout", "-q", "main")  # the map is recorded on main, as a scheduled job would
    count = write_map(root)
    git(root, "checkout", "-q", "feature")
    print(f"per-test map: {count} tests written in {time.perf_counter() - started:.1f} s")
    runs = [time_selection(root, cold=False) for _ in range(5)]
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    result = runs[-1][2]
    selection = result.selection  # type: ignore[attr-defined]
    chosen = sum(len(i.tests) or TESTS_PER_FILE for i in selection.tests)
    print(
        f"warm with the map: {wall:.3f} s wall, {cpu:.3f} s CPU (median of 5), map phase"
        f" {result.timings.get('map', 0.0):.3f} s; {len(selection.tests)} test files,"  # type: ignore[attr-defined]
        f" {chosen} of {tests} tests (a new module-level name: followed by name to its readers)"
    )
    body = root / "src" / "pkg90" / "mod1.py"  # a function body, which the map can narrow
    body.write_text(body.read_text().replace("    return VALUE", "    return VALUE + 0"))
    git(root, "commit", "-q", "-am", "change one function body")
    by_map = _count_tests(time_selection(root, cold=False)[2])
    (root / ".omnicloud" / "testmap.json").rename(root / ".omnicloud" / "off.json")
    by_imports = _count_tests(time_selection(root, cold=False)[2])
    print(
        f"a function-body change: {by_map} tests selected with the map, {by_imports} by the"
        " import graph alone"
    )


def _count_tests(result: object) -> int:
    selection = cast(AffectedResult, result).selection
    return sum(len(i.tests) or TESTS_PER_FILE for i in selection.tests)


OVERHEAD_MODULE = """def score(values):
    total = 0
    for value in values:
        if value % 3 == 0:
            total += value * 2
        else:
            total += value
    return total


def words(text):
    return sorted(set(text.split()))
"""


def recording_overhead(tests: int) -> None:
    """The same full pytest run with and without the recorder plugin."""
    root = Path(tempfile.mkdtemp(prefix="omnicloud-bench-record-"))
    try:
        (root / "src" / "work").mkdir(parents=True)
        (root / "src" / "work" / "__init__.py").write_text("")
        (root / "src" / "work" / "calc.py").write_text(OVERHEAD_MODULE)
        (root / "tests").mkdir()
        (root / "tests" / "data.txt").write_text("alpha beta gamma beta\n")
        per_file = 50
        for number in range(max(1, tests // per_file)):
            lines = ["from pathlib import Path", "", "from work.calc import score, words", ""]
            for test in range(per_file):
                lines += [
                    "",
                    f"def test_{test}():",
                    f"    assert score(range({test + 200})) > 0",
                    "    text = (Path(__file__).parent / 'data.txt').read_text()",
                    "    assert words(text)[0] == 'alpha'",
                    "",
                ]
            (root / "tests" / f"test_w{number}.py").write_text("\n".join(lines))
        (root / "pytest.ini").write_text("[pytest]\npythonpath = src\n")
        base = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly")
        record = (
            "-p", "omnicloud.affected.recorder", "--omnicloud-record-map", ".omnicloud/testmap.json"
        )  # fmt: skip
        runs: dict[str, list[tuple[float, float]]] = {"plain": [], "record": [], "testmon": []}
        testmon = _has_testmon()
        for _ in range(3):  # interleaved: a change in the machine's load hits every variant
            runs["plain"].append(_timed(root, *base, "-p", "no:testmon", "tests"))
            runs["record"].append(_timed(root, *base, "-p", "no:testmon", *record, "tests"))
            if testmon:  # its first run: every test under coverage (needs the cache plugin)
                for path in root.glob(".testmondata*"):
                    path.unlink()
                runs["testmon"].append(
                    _timed(root, sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                           "--testmon", "tests")
                )  # fmt: skip
        wall = {k: statistics.median(w for w, _ in v) for k, v in runs.items() if v}
        cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items() if v}
        print(
            f"recording overhead, {tests} tests (medians of 3, load average"
            f" {os.getloadavg()[0]:.1f}): {cpu['plain']:.2f} s CPU ({wall['plain']:.2f} s wall)"
            f" without the recorder, {cpu['record']:.2f} s CPU ({wall['record']:.2f} s wall)"
            f" with it: +{cpu['record'] / cpu['plain'] - 1:.0%} CPU,"
            f" +{wall['record'] / wall['plain'] - 1:.0%} wall"
        )
        if testmon:
            print(
                f"pytest-testmon's recording run on the same tests: {cpu['testmon']:.2f} s CPU"
                f" ({wall['testmon']:.2f} s wall): +{cpu['testmon'] / cpu['plain'] - 1:.0%} CPU,"
                f" +{wall['testmon'] / wall['plain'] - 1:.0%} wall"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _timed(root: Path, *command: str) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the child) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, _ = time_command(root, *command)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _has_testmon() -> bool:
    import importlib.util

    return importlib.util.find_spec("testmon") is not None


def peers(root: Path, python: str, modules: int) -> None:
    if not Path(python).exists():
        print(
            f"peers skipped: {python} not found (python -m venv --system-site-packages"
            " /tmp/affected-peers && /tmp/affected-peers/bin/pip install pytest-picked"
            " pytest-testmon)"
        )
        return
    pytest = (python, "-m", "pytest", "-p", "no:omnicloud", "-q", "-o", "addopts=", "tests")
    seconds, out = time_command(
        root,
        *pytest,
        "--collect-only",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:testmon",
        "--picked",
        "--mode=branch",
        "--parent-branch=main",
    )
    print(
        f"pytest-picked --mode=branch --collect-only: {seconds:.3f} s;"
        f" {_last(out)} (picks changed test files only: a source change selects none)"
    )
    # testmon needs pytest's cache plugin (it reads the last-failed state)
    seconds, out = time_command(root, *pytest, "-p", "no:picked", "--testmon")
    print(
        f"pytest-testmon first run (all tests under coverage, required): {seconds:.1f} s;"
        f" {_last(out)}"
    )
    changed = root / changed_module(modules)  # the module the branch changed, once more
    changed.write_text(changed.read_text() + "\nMORE = 2\n")
    seconds, out = time_command(root, *pytest, "-p", "no:picked", "--testmon", "--collect-only")
    print(f"pytest-testmon --collect-only after one more change: {seconds:.3f} s; {_last(out)}")
    started = time.perf_counter()
    config = load_config(root / "omnicloud.toml", environ={})
    result = compute_selection(config, environ={})
    print(
        f"omnicloud affected (in-process, same change, warm): {time.perf_counter() - started:.3f}"
        f" s; {len(result.selection.tests)} test files,"
        f" {sum(len(i.tests) or TESTS_PER_FILE for i in result.selection.tests)} tests"
    )


def _last(output: str) -> str:
    """pytest's summary line (collected / passed / deselected), or the last line."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if any(word in line for word in ("collected", "passed", "deselected", "no tests")):
            return line
    return lines[-1] if lines else "(no output)"


if __name__ == "__main__":
    sys.exit(main())
