"""The run stage: build pytest's argv for a selection and run pytest in this process."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnicloud.config.models import Config
from omnicloud.plan import Selection

#: pytest exit codes -> what they mean for a certification run
PYTEST_OK, PYTEST_FAILED, PYTEST_INTERRUPTED, PYTEST_INTERNAL, PYTEST_USAGE, PYTEST_NO_TESTS = (
    0,
    1,
    2,
    3,
    4,
    5,
)


@dataclass(frozen=True)
class RunRequest:
    config_path: Path
    selection: Selection
    junit: Path
    workers: int | str = 0
    dist: str = "loadscope"
    shard: str | None = None
    pytest_args: tuple[str, ...] = ()
    node_ids: tuple[str, ...] = ()  # only these tests (``certify --resume``)


def pytest_argv(request: RunRequest) -> list[str]:
    """The pytest command line (without the program name) for a run request."""
    sel = request.selection
    from omnicloud.resume import node_arguments

    argv = [
        *(node_arguments(request.config_path, request.node_ids) or [str(request.config_path)]),
        f"--omnicloud-config={request.config_path}",
        f"--junitxml={request.junit}",
        "-o",
        "junit_family=xunit1",
        "-o",
        "junit_logging=all",
        "-p",
        "no:cacheprovider",
        # omnicloud and provider modules are already imported in this process (the checks ran
        # before pytest started); that they cannot be assertion-rewritten is expected.
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]
    argv += [f"--omnicloud-provider={p}" for p in sel.providers]
    argv += [f"--omnicloud-contract={c}" for c in sel.contracts]
    argv += [f"--omnicloud-interface={i}" for i in sel.interfaces]
    if sel.probe:
        argv.append("--omnicloud-probe")
    if sel.environment:
        argv.append(f"--omnicloud-env={sel.environment}")
    if request.workers not in (0, "0"):
        argv += ["-n", str(request.workers), f"--dist={request.dist}"]
    if request.shard:
        argv.append(f"--shard={request.shard}")
    argv += list(request.pytest_args)
    return argv


def workers_for(config: Config, override: int | str | None) -> int | str:
    value = override if override is not None else config.run.workers
    return value if value == "auto" else int(value)


@dataclass
class TestCounts:
    """What pytest selected and what it reported: a run that executed nothing, or reported
    fewer tests than it selected, is never a success."""

    selected: list[str] | None = None  # node ids after deselection; None: never collected
    reported: set[str] = field(default_factory=set)  # a final outcome (passed/failed/skipped)
    executed: set[str] = field(default_factory=set)  # the test body ran (passed or failed)

    @property
    def unfinished(self) -> list[str]:
        return [n for n in self.selected or [] if n not in self.reported]


def counting_plugin(
    counts: TestCounts, interrupted: Callable[[], bool] = bool, freeze: bool = False
) -> object:
    """A pytest plugin recording selected and reported tests, in-process or as the xdist
    controller (built here so that importing this module does not import pytest). When
    ``interrupted()`` turns true (a signal arrived, even one a library swallowed), the session
    stops after the current test. With ``freeze``, what collection built is frozen out of the
    garbage collector (``gc.freeze``) once collection ends."""
    import pytest

    class CountingPlugin:
        session: Any = None

        def pytest_sessionstart(self, session: Any) -> None:
            self.session = session

        def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
            if self.session is not None and interrupted():
                self.session.shouldstop = "interrupted by a signal"

        def pytest_collection_finish(self, session: Any) -> None:
            counts.selected = [item.nodeid for item in session.items]
            if freeze:
                # What collection built (pytest, the suites, hypothesis, the items) lives until
                # the run ends: keep it out of every garbage collection of the run. A small
                # certify spent about a fifth of its CPU walking it again (1.77 s against 1.44 s).
                gc.collect()
                gc.freeze()

        @pytest.hookimpl(optionalhook=True)
        def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
            if counts.selected is None or len(ids) > len(counts.selected):
                counts.selected = list(ids)

        def pytest_runtest_logreport(self, report: Any) -> None:
            if report.when == "call" or (report.when == "setup" and not report.passed):
                counts.reported.add(report.nodeid)
            if report.when == "call" and not report.skipped:
                counts.executed.add(report.nodeid)

    return CountingPlugin()


def run_pytest(
    argv: Sequence[str], counts: TestCounts | None = None, interrupted: Callable[[], bool] = bool
) -> int:
    """Run pytest in this process (no second interpreter start-up: see bench/overhead.py)."""
    import pytest

    os.environ.setdefault("PYTHONHASHSEED", "0")
    # A caller that froze objects itself keeps its freeze, and the run does not add to it.
    freeze = not gc.get_freeze_count()
    plugin = counting_plugin(counts if counts is not None else TestCounts(), interrupted, freeze)
    try:
        return int(pytest.main(list(argv), plugins=[plugin]))
    finally:
        if freeze:  # the Python API's caller goes on: the collector sees it all again
            gc.unfreeze()
