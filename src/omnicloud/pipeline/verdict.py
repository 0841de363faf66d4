"""The run's exit code: infrastructure first, then completeness, then pytest's verdict."""

from __future__ import annotations

import sys

from omnicloud.errors import ExitCode
from omnicloud.pipeline.state import RunState
from omnicloud.runner import (
    PYTEST_FAILED,
    PYTEST_INTERNAL,
    PYTEST_NO_TESTS,
    PYTEST_OK,
    PYTEST_USAGE,
)

#: pytest endings where nothing ran, by their cause: a selection or a usage error,
#: and an internal error (a plugin or hook crashed: the run is no verdict on any provider)
_NO_RUN = {
    PYTEST_NO_TESTS: ExitCode.SELECTION,
    PYTEST_USAGE: ExitCode.CONFIG,
    PYTEST_INTERNAL: ExitCode.INFRASTRUCTURE,
}


def incompleteness(state: RunState) -> tuple[int, str] | None:
    """Why a run that pytest called a success is not one: it executed no test, or reported
    fewer tests than it selected. ``None`` when complete (or when pytest ran elsewhere)."""
    counts = state.counts
    if counts.selected is None:
        return None
    if not counts.executed:
        return ExitCode.SELECTION, (
            f"no test executed ({len(counts.selected)} selected, {len(counts.reported)}"
            " reported, all skipped or none run): this run certifies nothing"
        )
    unfinished = counts.unfinished
    if unfinished:
        return ExitCode.RESULTS, (
            f"incomplete run: {len(unfinished)} of {len(counts.selected)} selected tests"
            f" reported no result (first: {unfinished[0]})"
        )
    return None


def exit_code(state: RunState) -> int:
    """The run's exit code: infrastructure first, then completeness, then pytest's verdict."""
    for service, users in sorted(state.services_down.items()):
        print(
            f"error: service '{service}' stopped answering during the run: the results of"
            f" {', '.join(users) or 'its providers'} are an infrastructure failure, not a"
            " verdict",
            file=sys.stderr,
        )
    return ExitCode.INFRASTRUCTURE if state.services_down else _pytest_exit_code(state)


def _pytest_exit_code(state: RunState) -> int:
    if state.pytest_exit in (PYTEST_OK,):
        problem = incompleteness(state)
        if problem is not None:
            print(f"error: {problem[1]}", file=sys.stderr)
            return problem[0]
        return ExitCode.OK
    if state.pytest_exit == PYTEST_FAILED:
        return ExitCode.OK if _only_probes_failed(state) else ExitCode.VIOLATIONS
    if state.pytest_exit == PYTEST_USAGE:  # arguments after --, run.pytest_args, a variable
        print("error: pytest stopped on a usage error (its message is above)", file=sys.stderr)
    if state.pytest_exit == PYTEST_INTERNAL:
        print("error: pytest stopped on an internal error (INTERNALERROR above)", file=sys.stderr)
    if state.pytest_exit in _NO_RUN:
        return _NO_RUN[state.pytest_exit]
    if state.results is not None and state.results.failures:
        return ExitCode.VIOLATIONS
    return ExitCode.INFRASTRUCTURE if state.pytest_exit is not None else ExitCode.OK


def _only_probes_failed(state: RunState) -> bool:
    """Every failed test belongs to a --probe target: an undeclared interface is no verdict."""
    probed = {(t.provider, t.suite) for t in state.targets if t.probe}
    failures = state.results.failures if state.results is not None else []
    return (
        bool(probed) and bool(failures) and all((f.provider, f.suite) in probed for f in failures)
    )
