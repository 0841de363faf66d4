"""Final stage ``triage``: failures classified and routed to their owners."""

from __future__ import annotations

import sys

from omnicloud.errors import OmnicloudError
from omnicloud.pipeline.state import RunState


def triage(state: RunState) -> int | None:
    """Classify the failures, route them to owners, update the history; never loses the
    report: a triage problem is printed as a warning after the results are written."""
    from omnicloud.triage.run import triage_results

    if state.results is None or state.folder is None or state.junit is None:
        return None
    try:
        report = triage_results(
            state.config,
            [state.junit],
            state.folder,
            run_id=state.run_id,
            skip={(t.provider, t.suite) for t in state.targets if t.probe},  # no verdict
            results=state.results,  # read once, by read_results
        )
    except OmnicloudError as exc:
        print(f"warning: triage skipped: {exc.message}", file=sys.stderr)
        return None
    state.triaged = {
        i.failure.test_id: {"category": i.category, "owners": list(i.owners)}
        for i in report.failures
    }
    for owner, items in sorted(report.by_owner().items()):
        categories = sorted({i.category for i in items})
        state.console.print(
            f"  {owner}: {len(items)} failure(s) ({', '.join(categories)})", highlight=False
        )
    for error in report.sink_errors:
        print(f"warning: {error}", file=sys.stderr)
    return None
