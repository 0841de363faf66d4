"""Stage ``run_tests``: pytest here (resumed runs merged), or the shards on an executor."""

from __future__ import annotations

import sys
from pathlib import Path

from omnicloud.pipeline.state import RunState
from omnicloud.runner import PYTEST_FAILED, PYTEST_OK, RunRequest


def run_tests(state: RunState) -> int | None:
    from omnicloud.runner import pytest_argv, run_pytest, workers_for

    assert state.config is not None
    assert state.config.source
    assert state.junit
    if state.options.executor:
        return run_on_executor(state)
    resumed = state.resume is not None and bool(state.resume.tests)
    request = RunRequest(
        config_path=state.config.source,
        selection=state.options.selection,
        junit=state.junit.with_suffix(".resumed.xml") if resumed else state.junit,
        workers=workers_for(state.config, state.options.workers),
        dist=state.config.run.dist,
        shard=state.options.shard,
        pytest_args=(*state.config.run.pytest_args, *state.options.pytest_args),
        node_ids=state.resume.tests if state.resume is not None else (),
    )
    state.pytest_exit = run_pytest(pytest_argv(request), state.counts, state.was_interrupted)
    if resumed:
        _merge_resumed(state, request.junit)
    return None


def _merge_resumed(state: RunState, new: Path) -> None:
    """The interrupted run's finished tests plus the resumed ones, as one JUnit."""
    from omnicloud.merge import merge_junit, write_merged

    assert state.resume is not None
    assert state.junit is not None
    parts = [p for p in (state.resume.previous_junit, new) if p is not None and p.is_file()]
    if not parts:
        return
    merged = merge_junit(parts)
    for problem in merged.problems:
        print(f"warning: resume: {problem}", file=sys.stderr)
    write_merged(merged, state.junit)
    new.unlink(missing_ok=True)


def run_on_executor(state: RunState) -> int | None:
    """Run the shards elsewhere (a Kubernetes Indexed Job) and merge their JUnit here."""
    from omnicloud.executors import executor_class
    from omnicloud.merge import write_merged

    assert state.config is not None
    assert state.folder is not None
    assert state.junit is not None
    executor = executor_class(state.options.executor or "")(state.config.executors.kubernetes)
    run = executor.run(results_dir=state.folder, run_id=state.run_id)
    write_merged(run.merge, state.junit)
    failed = any(o in ("failed", "error") for o in run.merge.outcomes.values())
    state.pytest_exit = PYTEST_FAILED if run.merge.problems or failed else PYTEST_OK
    return None
