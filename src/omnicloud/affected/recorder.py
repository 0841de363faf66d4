"""pytest plugin that records the per-test map: ``pytest -p omnicloud.affected.recorder
--omnicloud-record-map .omnicloud/testmap.json`` (what ``omnicloud affected --record`` runs).

coverage.py measures the project's files with one dynamic context per test (switched around
each test's setup, call and teardown); an audit hook (``sys.addaudithook``) sees every ``open``
and keeps, per test, the project files it opened that are not Python code. At the end the lines
are folded into units and everything is written with content fingerprints (``testmap.py``).
``--omnicloud-outcomes PATH`` writes each test's outcome as JSON (the shadow run's evidence).
Record without xdist: one process sees every test.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from omnicloud.affected.index import blob_id
from omnicloud.affected.testmap import (
    MODULE_UNIT,
    TestMap,
    cut_units,
    digest,
    save_map,
    toolchain_digest,
)

_SKIP_PARTS = (".git", ".venv", "venv", ".nox", ".tox", "__pycache__", ".omnicloud", "node_modules")
_CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".so", ".pth")


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
        self.cov: Any = None
        if target is not None:
            import coverage

            omit = [f"*/{part}/*" for part in _SKIP_PARTS] + ["*/site-packages/*"]
            self.cov = coverage.Coverage(
                data_file=None, config_file=False, source=[str(root)], omit=omit
            )
            self.cov.start()
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

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        if self.cov is not None:
            self.cov.switch_context(item.nodeid)
        self.current = item.nodeid
        yield
        self.current = None
        if self.cov is not None:
            self.cov.switch_context("")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.outcomes[report.nodeid] = "failed"
        elif report.when == "call" or report.skipped:
            self.outcomes.setdefault(report.nodeid, report.outcome)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.outcomes_path:
            Path(self.outcomes_path).parent.mkdir(parents=True, exist_ok=True)
            Path(self.outcomes_path).write_text(json.dumps(self.outcomes, indent=1), "utf-8")
        if self.cov is None or self.target is None:
            return
        self.cov.stop()
        tests = [item.nodeid for item in session.items]
        target = self.target if self.target.is_absolute() else self.root / self.target
        save_map(self._build(tests), target)

    def _build(self, tests: list[str]) -> TestMap:
        index = {test: i for i, test in enumerate(tests)}
        test_map = TestMap(tests=tests, toolchain=toolchain_digest(self.root))
        data = self.cov.get_data()
        for measured in data.measured_files():
            self._add_code(test_map, index, data, measured)
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

    def _add_code(self, test_map: TestMap, index: dict[str, int], data: Any, measured: str) -> None:
        path = Path(measured)
        try:
            rel = path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return
        text = _read(path)
        if text is None:
            return
        units = cut_units(text)
        used: dict[str, set[int]] = {}
        for line, contexts in data.contexts_by_lineno(measured).items():
            unit = units.unit_of(line) if units is not None else MODULE_UNIT
            for context in contexts:
                if context in index:
                    used.setdefault(unit, set()).add(index[context])
        if not used:
            return
        test_map.code[rel] = {
            "blob": blob_id(text.encode("utf-8")),
            "fingerprint": digest(text),
            "units": dict(units.fingerprints) if units is not None else {},
            "used": {unit: sorted(ids) for unit, ids in sorted(used.items())},
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
