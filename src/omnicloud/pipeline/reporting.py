"""Final stage ``report``: the table, report.json and report.md (marked INCOMPLETE when the
run did not finish)."""

from __future__ import annotations

import signal
import time

from omnicloud.pipeline.state import RunState
from omnicloud.pipeline.verdict import incompleteness
from omnicloud.runner import (
    PYTEST_FAILED,
    PYTEST_INTERNAL,
    PYTEST_INTERRUPTED,
    PYTEST_NO_TESTS,
    PYTEST_OK,
    PYTEST_USAGE,
)

#: pytest endings that are no verdict: such a run is never reported complete
_NO_VERDICT = {
    PYTEST_INTERRUPTED: "pytest was interrupted (or a collection error stopped it)",
    PYTEST_INTERNAL: "pytest failed internally",
    PYTEST_USAGE: "pytest stopped on a usage error",
    PYTEST_NO_TESTS: "pytest collected no test",
}


def _focus(contracts: tuple[str, ...]) -> tuple[str, ...]:
    """The contracts a session selected (aliases resolved): the table's focus."""
    from omnicloud.contracts import resolve_contract

    return tuple(resolve_contract(c, kind="contract").name for c in contracts)


def report(state: RunState) -> int | None:
    """The table and ``report.json``/``report.md``; a run stopped after its tests started (or
    interrupted) is reported too, marked INCOMPLETE with what ran and what did not."""
    from omnicloud.report.documents import write_documents
    from omnicloud.report.terminal import render_table
    from omnicloud.report.verdicts import untested_targets
    from omnicloud.results import Results

    if state.folder is None or state.config is None or state.run_folder is None:
        return None
    if state.results is None and state.pytest_exit is None and state.interrupted is None:
        return None  # stopped before any test: the previous results stay as they were
    results = state.results or Results()
    status = completeness(state)
    unfinished = status.get("unfinished_targets")
    render_table(
        results,
        state.console,
        title=f"Compliance ({state.config.project.name})",
        probes={(t.provider, t.suite) for t in state.targets if t.probe},
        unfinished=unfinished if isinstance(unfinished, list) else (),
        focus=_focus(state.options.selection.contracts),
        untested=untested_targets(results, state.triaged),
    )
    _render_sat_out(state)
    meta: dict[str, object] = {
        "project": state.config.project.name,
        "run_id": state.run_id,
        "config": str(state.config.source),
        "junit": str(state.run_folder.final / state.run_folder.junit_name),
        "pytest_exit": state.pytest_exit,
        "elapsed": round(time.monotonic() - state.started, 3),
        "environment": state.options.selection.environment,
        "sat_out": dict(state.sat_out),
        "probes": sorted(t.node_name for t in state.targets if t.probe),
        "services_down": dict(state.services_down),
        "triage": state.triaged,  # category and owners of each failure (triage runs first)
        **status,
    }
    if state.resume is not None:
        meta["resumed_from"] = state.resume.run_id
    if state.config.data:
        from omnicloud.data.fingerprint import dataset_fingerprints

        meta["datasets"] = dataset_fingerprints(state.config)
    write_documents(results, meta, state.folder, state.config.secret_values())
    final = state.run_folder.final
    if meta["status"] == "INCOMPLETE":
        state.console.print(f"[bold red]INCOMPLETE[/]: {meta['incomplete_reason']}")
    state.console.print(
        f"JUnit: {final / state.run_folder.junit_name}\n"
        f"Report: {final / 'report.md'}, {final / 'report.json'}",
        highlight=False,
    )
    return None


def completeness(state: RunState) -> dict[str, object]:
    """``status`` (complete / INCOMPLETE), why, and the targets and tests that did not finish."""
    reason = None
    if state.interrupted is not None:
        reason = f"interrupted by {signal.Signals(state.interrupted).name}"
    elif state.pytest_exit is None:
        reason = "the tests did not run"
    elif state.pytest_exit == PYTEST_OK and incompleteness(state) is not None:
        reason = (incompleteness(state) or (0, ""))[1]
    elif state.pytest_exit not in (PYTEST_OK, PYTEST_FAILED):
        ending = _NO_VERDICT.get(state.pytest_exit, "pytest ended without a verdict")
        reason = f"{ending} (pytest exit code {state.pytest_exit})"
    if reason is None:
        return {"status": "complete"}
    unfinished = state.counts.unfinished if state.counts.selected is not None else []
    targets = sorted({n.split("::")[1] for n in unfinished if n.count("::") >= 2})
    if state.counts.selected is None:  # never collected: every planned target is unfinished
        targets = sorted({t.node_name for t in state.targets})
    return {
        "status": "INCOMPLETE",
        "incomplete_reason": reason,
        "unfinished_targets": targets,
        "unfinished_tests": unfinished,
    }


def _render_sat_out(state: RunState) -> None:
    """Providers that were selected but did not run are part of the verdict's table."""
    if not state.sat_out:
        return
    from rich.table import Table

    table = Table(title="Sat out (not certified by this run)", title_justify="left")
    table.add_column("provider")
    table.add_column("reason")
    for name, reason in sorted(state.sat_out.items()):
        table.add_row(name, reason)
    state.console.print(table)
