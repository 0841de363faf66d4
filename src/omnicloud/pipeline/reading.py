"""Final stage ``read_results``: the run's JUnit, and the durations that balance shards."""

from __future__ import annotations

import os
import sys
from dataclasses import replace

from omnicloud.pipeline.state import RunState
from omnicloud.results import load_results


def read_results(state: RunState) -> int | None:
    """Parse the run's JUnit and record its durations for duration-balanced shards."""
    from omnicloud.shard.durations import update_durations
    from omnicloud.shard.junit import durations_from_results

    if state.junit is None or not state.junit.exists():
        return None
    results = load_results([state.junit])
    # pytest writes an empty <testcase/> when a run is interrupted: not a test, not a pass.
    state.results = replace(results, tests=tuple(t for t in results.tests if t.name))
    assert state.config is not None
    assert state.config.source is not None
    from omnicloud.shard.spec import resolve_shard

    if resolve_shard(state.options.shard, os.environ) is not None:
        # Every shard must partition with the same durations: 'omnicloud merge' records them.
        return None
    store = state.config.run.durations
    if not store.is_absolute():
        store = state.config.source.parent / store
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        update_durations(store, durations_from_results(state.results.tests))
    except OSError as exc:
        print(f"warning: durations not recorded in {store}: {exc}", file=sys.stderr)
    return None
