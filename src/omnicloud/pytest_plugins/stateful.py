"""Failing state machines of the suites report their minimal steps first.

A failing hypothesis state machine run under ``asyncio.to_thread`` prints well over a hundred
lines, most of them hypothesis's own frames. For tests from the contract suites (``tck_py``),
the report shows the error's first line, the minimal failing steps, the rest of the error and
where the check failed; ``--tb=long``
(or ``native``) keeps pytest's full report for whoever wants the rest.
"""

from __future__ import annotations

import traceback
from collections.abc import Generator
from typing import Any

import pytest

STATE_MACHINE = "Failing test case: <state machine>"
FULL_STYLES = ("long", "native")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if call.when != "call" or call.excinfo is None or not report.failed:
        return
    if item.config.getoption("tbstyle", "auto") in FULL_STYLES or not _from_suites(item):
        return
    short = minimal_report(call.excinfo.value)
    if short is not None:
        report.longrepr = short


def _from_suites(item: pytest.Item) -> bool:
    function = getattr(item, "function", None)
    return getattr(function, "__module__", "").startswith("tck_py.")


def minimal_report(error: BaseException) -> str | None:
    """The steps, the error and its location, or None when ``error`` is no state machine's."""
    notes = [str(n) for n in getattr(error, "__notes__", ())]
    start = next((i for i, n in enumerate(notes) if n.startswith(STATE_MACHINE)), None)
    if start is None:
        return None
    steps = "\n".join(notes[start:]).splitlines()[1:]
    frames = traceback.extract_tb(error.__traceback__)
    where = frames[-1] if frames else None
    message = "".join(traceback.format_exception_only(type(error), _without_notes(error)))
    head, _, detail = message.partition("\n")
    lines = [
        head,  # first: the JUnit message and the triage category come from this line
        "State machine: the minimal failing steps hypothesis found",
        *(f"    {step}" for step in steps),
        "",
        *([detail] if detail.strip() else []),
    ]
    if where is not None:
        lines.append(f"at {where.filename}:{where.lineno} in {where.name}")
        if where.line:
            lines.append(f"    {where.line}")
    lines.append("(the full report: pytest --tb=long)")
    return "\n".join(line.rstrip("\n") for line in lines)


def _without_notes(error: BaseException) -> BaseException:
    """A copy-free view: format the message without hypothesis's notes repeated."""
    notes = getattr(error, "__notes__", None)
    if notes is None:
        return error
    clone = type(error).__new__(type(error))
    clone.args = error.args
    return clone
