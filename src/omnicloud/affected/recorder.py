"""pytest plugin that records the per-test map: ``pytest -p omnicloud.affected.recorder
--omnicloud-record-map .omnicloud/testmap.json`` (what ``omnicloud affected --record`` runs).

The map keys on units (functions, or ``<module>`` for import-time code), so the recorder
records functions, not lines: around each test (setup, call and teardown) the C profiler of the
standard library (``_lsprof``, cProfile's core, built-ins off) collects the code objects the
test entered; each is folded once into (project file, unit) with ``cut_units``. Line tracing
(coverage.py's per-test dynamic contexts) gave the same units at about twice the cost: a line
event for every line of the project's hot loops and a data flush at each context switch.
Threads started during the run are followed by a Python-level profile function (only their
calls pay it). An audit hook (``sys.addaudithook``) sees every ``open`` and keeps, per test, the
project files it opened that are not Python code; it returns at once for any other event or for
an open outside a test. Everything is hashed once, at the end, with content fingerprints
(``testmap.py``). A test during which something else replaced the profiler (a test that
profiles, a debugger) is reported and recorded as having executed every unit the run saw, so
the map stays safe. ``--omnicloud-outcomes PATH`` writes each test's outcome as JSON (the shadow
run's evidence). Record without xdist: one process sees every test.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Generator
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import pytest

from omnicloud.affected.index import blob_id
from omnicloud.affected.testmap import (
    MODULE_UNIT,
    TestMap,
    Units,
    cut_units,
    digest,
    save_map,
    toolchain_digest,
)

_SKIP_PARTS = (".git", ".venv", "venv", ".nox", ".tox", "__pycache__", ".omnicloud", "node_modules")
_CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".so", ".pth")
_UNSEEN: Any = object()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("omnicloud-map", "omnicloud per-test map")
    group.addoption("--omnicloud-record-map", default=None, metavar="PATH")
    group.addoption("--omnicloud-outcomes", default=None, metavar="PATH")


def pytest_configure(config: pytest.Config) -> None:
    target = config.getoption("--omnicloud-record-map")
    outcomes = config.getoption("--omnicloud-outcomes")
    if target or outcomes:
        root = Path(str(config.rootpath)).resolve()
        recorder = Recorder(root, Path(target) if target else None, outcomes)
        config.pluginmanager.register(recorder, "omnicloud-recorder")


class Recorder:
    def __init__(self, root: Path, target: Path | None, outcomes: str | None) -> None:
        self.root = root
        self.prefix = str(root) + os.sep
        self.target = target
        self.outcomes_path = outcomes
        self.current: str | None = None
        self.opened: dict[str, set[str]] = {}
        self.outcomes: dict[str, str] = {}
        self.profiler: Any = None
        #: (file name, first line, name) of a code object -> (project file, unit), or None
        #: outside the project: resolved once. Not the code object itself: equal code objects
        #: (same body, same lines) of two files compare equal.
        self.places: dict[tuple[str, int, str], tuple[str, str] | None] = {}
        self.units: dict[str, Units | None] = {}
        self.texts: dict[str, str] = {}
        self.used: dict[str, dict[str, set[str]]] = {}  # file -> unit -> test node ids
        self.thread_codes: set[tuple[str, int, str]] = set()
        self.displaced: list[str] = []
        if target is not None:
            import _lsprof  # cProfile's C core: a call event costs no Python frame

            self.profiler = _lsprof.Profiler(builtins=False)
            threading.setprofile(self._thread_profile)
            sys.addaudithook(self._audit)

    def _audit(self, event: str, args: tuple[Any, ...]) -> None:
        # Called for every audited event in the process: cheap, and never raising.
        if event != "open" or self.current is None or not args:
            return
        try:
            path = args[0]
            if isinstance(path, int):
                return
            name = os.path.abspath(os.fsdecode(path))
            if name.startswith(self.prefix) and not name.endswith(_CODE_SUFFIXES):
                self.opened.setdefault(self.current, set()).add(name[len(self.prefix) :])
        except Exception:  # an audit hook must not break the code it watches
            pass

    def _thread_profile(self, frame: FrameType, event: str, arg: object) -> None:
        # Installed in threads started during the run; the main thread uses the C profiler.
        if event == "call" and self.current is not None:
            code = frame.f_code
            self.thread_codes.add((code.co_filename, code.co_firstlineno, code.co_name))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        self.current = item.nodeid
        if self.profiler is not None:
            self.profiler.enable(subcalls=False, builtins=False)
        yield
        if self.profiler is not None:
            displaced = sys.getprofile() is not self.profiler
            self.profiler.disable()
            codes = {
                (code.co_filename, code.co_firstlineno, code.co_name)
                for code in (entry.code for entry in self.profiler.getstats())
                if isinstance(code, CodeType)  # not a built-in's description
            }
            self.profiler.clear()
            codes |= self.thread_codes
            self.thread_codes = set()
            if displaced:
                self.displaced.append(item.nodeid)
            self._fold(item.nodeid, codes)
        self.current = None

    def _fold(self, test: str, codes: set[tuple[str, int, str]]) -> None:
        """Add the test to the (file, unit) of every project code object it entered."""
        for code in codes:
            place = self.places.get(code, _UNSEEN)
            if place is _UNSEEN:
                place = self.places[code] = self._place(code)
            if place is not None:
                self.used.setdefault(place[0], {}).setdefault(place[1], set()).add(test)

    def _place(self, code: tuple[str, int, str]) -> tuple[str, str] | None:
        name, first, function = code
        if not name.startswith(self.prefix):
            name = os.path.abspath(name)
            if not name.startswith(self.prefix):
                return None
        rel = name[len(self.prefix) :].replace(os.sep, "/")
        if any(part in _SKIP_PARTS for part in rel.split("/")) or "site-packages" in rel:
            return None
        if rel not in self.units:
            text = _read(self.root / rel)
            if text is None:
                self.units[rel] = None
                return None
            self.texts[rel] = text
            self.units[rel] = cut_units(text)
        if rel not in self.texts:
            return None
        units = self.units[rel]
        if function == "<module>" or units is None:
            return rel, MODULE_UNIT
        return rel, units.unit_of(first)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.outcomes[report.nodeid] = "failed"
        elif report.when == "call" or report.skipped:
            self.outcomes.setdefault(report.nodeid, report.outcome)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.displaced:
            terminalreporter.write_line(
                f"omnicloud map: {len(self.displaced)} test(s) replaced the profiler (a test"
                " that profiles or traces): recorded as executing every unit the run saw,"
                f" e.g. {self.displaced[0]}"
            )

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.outcomes_path:
            Path(self.outcomes_path).parent.mkdir(parents=True, exist_ok=True)
            Path(self.outcomes_path).write_text(json.dumps(self.outcomes, indent=1), "utf-8")
        if self.profiler is None or self.target is None:
            return
        threading.setprofile(None)
        tests = [item.nodeid for item in session.items]
        target = self.target if self.target.is_absolute() else self.root / self.target
        save_map(self._build(tests), target)

    def _build(self, tests: list[str]) -> TestMap:
        index = {test: i for i, test in enumerate(tests)}
        test_map = TestMap(tests=tests, toolchain=toolchain_digest(self.root))
        for test in self.displaced:  # safe side: it may have executed anything the run saw
            for units in self.used.values():
                for users in units.values():
                    users.add(test)
        for rel, units in sorted(self.used.items()):
            self._add_code(test_map, index, rel, units)
        for test, paths in self.opened.items():
            if test not in index:
                continue
            for rel in paths:
                entry = self._data_entry(test_map, rel)
                if entry is not None and index[test] not in entry["used"]:
                    entry["used"].append(index[test])
        for test in tests:
            file = test.partition("::")[0]
            if file not in test_map.test_files:
                text = _read(self.root / file)
                if text is not None:
                    test_map.test_files[file] = digest(text)
        return test_map

    def _add_code(
        self, test_map: TestMap, index: dict[str, int], rel: str, units: dict[str, set[str]]
    ) -> None:
        used = {
            unit: sorted(index[t] for t in users if t in index) for unit, users in units.items()
        }
        used = {unit: ids for unit, ids in used.items() if ids}
        if not used:
            return
        text = self.texts[rel]
        cut = self.units[rel]
        test_map.code[rel] = {
            "blob": blob_id(text.encode("utf-8")),
            "fingerprint": digest(text),
            "units": dict(cut.fingerprints) if cut is not None else {},
            "used": dict(sorted(used.items())),
        }

    def _data_entry(self, test_map: TestMap, rel: str) -> dict[str, Any] | None:
        if rel in test_map.data:
            return test_map.data[rel]
        if any(part in _SKIP_PARTS for part in rel.split("/")):
            return None
        path = self.root / rel
        if not path.is_file():
            return None
        try:
            content = path.read_bytes()
        except OSError:
            return None
        entry: dict[str, Any] = {"fingerprint": digest(content), "used": []}
        test_map.data[rel] = entry
        return entry


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
