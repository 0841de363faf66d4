"""pytest plugin that records the per-test map: ``pytest -p omnicloud.affected.recorder
--omnicloud-record-map .omnicloud/testmap.json`` (what ``omnicloud affected --record`` runs).

The map keys on blocks (``testmap.blocks``): the project's modules are imported with a probe at
the top of every block of every function (``probes.py``), and around each test (setup, call and
teardown) the recorder collects the probes that fired. Probes cost only inside the project's
code: pytest's machinery, the standard library and site-packages run untouched, where a tracer
or profiler pays for every call or line in the process (a C profiler cost +38-67 % CPU on a
plain suite, coverage.py's line contexts +131 %). Threads need nothing more: a probe fires in
whatever thread runs the block.

What a fixture wider than a function (class, module, session) runs in its setup counts for
every test that uses the fixture, not only the first one. Blocks that run outside any test (at
import, during collection) are recorded apart: a change to one is left to the import graph.
An audit hook (``sys.addaudithook``) sees every ``open`` and keeps, per test, the project files
it opened that are not Python code; it returns at once for any other event or for an open
outside a test. Everything is hashed once, at the end, with content fingerprints
(``testmap.py``). ``--omnicloud-outcomes PATH`` writes each test's outcome as JSON (the shadow
run's evidence). Record without xdist: one process sees every test.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from omnicloud.affected.probes import SKIP_PARTS, ProbeFinder, Probes, install, uninstall
from omnicloud.affected.testmap import TestMap, blob_id, digest, save_map, toolchain_digest

_CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".so", ".pth")
_PROBES = pytest.StashKey[tuple[Probes, ProbeFinder]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("omnicloud-map", "omnicloud per-test map")
    group.addoption("--omnicloud-record-map", default=None, metavar="PATH")
    group.addoption("--omnicloud-outcomes", default=None, metavar="PATH")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # Before the first conftest.py: the project modules it imports are probed too.
    if getattr(early_config.known_args_namespace, "omnicloud_record_map", None):
        _probes(early_config)


def _probes(config: pytest.Config) -> Probes:
    if _PROBES not in config.stash:
        probes = Probes(Path(str(config.rootpath)).resolve())
        config.stash[_PROBES] = (probes, install(probes))
    return config.stash[_PROBES][0]


def pytest_configure(config: pytest.Config) -> None:
    target = config.getoption("--omnicloud-record-map")
    outcomes = config.getoption("--omnicloud-outcomes")
    if target or outcomes:
        root = Path(str(config.rootpath)).resolve()
        probes = _probes(config) if target else None
        recorder = Recorder(root, Path(target) if target else None, outcomes, probes)
        config.pluginmanager.register(recorder, "omnicloud-recorder")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _PROBES in config.stash:
        uninstall(config.stash[_PROBES][1])


class Recorder:
    def __init__(
        self, root: Path, target: Path | None, outcomes: str | None, probes: Probes | None
    ) -> None:
        self.root = root
        self.prefix = str(root) + os.sep
        self.target = target
        self.outcomes_path = outcomes
        self.probes = probes
        self.current: str | None = None
        self.opened: dict[str, set[str]] = {}
        self.outcomes: dict[str, str] = {}
        self.hits: dict[str, set[int]] = {}  # test -> probes it fired
        self.outside: set[int] = set()  # probes fired outside any test
        #: fixture name -> probes and files of its setups wider than a function
        self.shared_hits: dict[str, set[int]] = {}
        self.shared_opened: dict[str, set[str]] = {}
        if probes is not None:
            sys.addaudithook(self._audit)

    # Python runs audit hooks with tracing off, so coverage.py cannot see this function run;
    # test_recorder.py asserts what it records (the data files each test opened).
    def _audit(self, event: str, args: tuple[Any, ...]) -> None:  # pragma: no cover
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
        probes = self.probes
        if probes is None:
            yield
            return
        self.outside.update(probes.take())
        self.current = item.nodeid
        hits = self.hits.setdefault(item.nodeid, set())
        yield
        hits.update(probes.take())
        opened = self.opened.setdefault(item.nodeid, set())
        for name in getattr(item, "fixturenames", ()):
            hits.update(self.shared_hits.get(name, ()))
            opened.update(self.shared_opened.get(name, ()))
        self.current = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any]
    ) -> Generator[None, None, None]:
        probes, test = self.probes, self.current
        if probes is None or test is None or fixturedef.scope == "function":
            yield
            return
        hits = self.hits.setdefault(test, set())
        hits.update(probes.take())
        before = set(self.opened.get(test, ()))
        yield
        fired = probes.take()
        hits.update(fired)
        self.shared_hits.setdefault(fixturedef.argname, set()).update(fired)
        new = self.opened.get(test, set()) - before
        self.shared_opened.setdefault(fixturedef.argname, set()).update(new)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.outcomes[report.nodeid] = "failed"
        elif report.when == "call" or report.skipped:
            self.outcomes.setdefault(report.nodeid, report.outcome)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.probes is not None and self.target is not None:
            terminalreporter.write_line(
                f"omnicloud map: {len(self.probes.keys)} blocks probed in"
                f" {len(self.probes.files)} project files, {len(self.hits)} tests recorded"
            )

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.outcomes_path:
            Path(self.outcomes_path).parent.mkdir(parents=True, exist_ok=True)
            Path(self.outcomes_path).write_text(json.dumps(self.outcomes, indent=1), "utf-8")
        if self.probes is None or self.target is None:
            return
        tests = [item.nodeid for item in session.items]
        target = self.target if self.target.is_absolute() else self.root / self.target
        save_map(self._build(tests, self.probes), target)

    def _build(self, items: list[str], probes: Probes) -> TestMap:
        tests = list(dict.fromkeys([*items, *self.hits, *self.opened]))
        index = {test: i for i, test in enumerate(tests)}
        test_map = TestMap(tests=tests, toolchain=toolchain_digest(self.root))
        used: dict[str, dict[str, set[int]]] = {rel: {} for rel in probes.files}
        for test, fired in self.hits.items():
            for probe in fired:
                rel, key = probes.keys[probe]
                used[rel].setdefault(key, set()).add(index[test])
        outside: dict[str, set[str]] = {}
        for probe in self.outside | set(probes.take()):
            rel, key = probes.keys[probe]
            outside.setdefault(rel, set()).add(key)
        for rel, (content, units) in sorted(probes.files.items()):
            test_map.code[rel] = {
                "blob": blob_id(content),
                # decoded as a selection reads the working tree (testmap.project_reader)
                "fingerprint": digest(content.decode("utf-8", "surrogateescape")),
                "units": dict(units.fingerprints),
                "used": {unit: sorted(ids) for unit, ids in sorted(used[rel].items())},
                "outside": sorted(outside.get(rel, ())),
            }
        for test, paths in self.opened.items():
            for rel in sorted(paths):
                entry = self._data_entry(test_map, rel)
                if entry is not None:
                    entry["used"].append(index[test])
        for file in dict.fromkeys(test.partition("::")[0] for test in tests):
            text = _read(self.root / file)
            if text is not None:  # None: a test file gone by the end of the run
                test_map.test_files[file] = digest(text)
        return test_map

    def _data_entry(self, test_map: TestMap, rel: str) -> dict[str, Any] | None:
        """The data file's entry; None for tool folders and for what is no readable file."""
        if rel not in test_map.data:
            if SKIP_PARTS.intersection(rel.split("/")):
                return None
            try:
                content = (self.root / rel).read_bytes()
            except OSError:  # gone, a folder, unreadable
                return None
            test_map.data[rel] = {"fingerprint": digest(content), "used": []}
        return test_map.data[rel]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
