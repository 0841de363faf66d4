"""``certify --resume``: run exactly what an interrupted run did not finish, then merge.

An interrupted run's ``report.json`` is marked ``INCOMPLETE`` and lists the node ids of the
selected tests that reported no result (``unfinished_tests``). Resuming runs those tests only
and merges their JUnit with the finished part of the interrupted run's JUnit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnicloud.errors import ResultsError, SelectionError


@dataclass(frozen=True)
class ResumePlan:
    previous_junit: Path | None  # the finished part, merged with the resumed tests
    tests: tuple[str, ...]  # node ids to run; empty: nothing was collected, run everything
    run_id: str


def plan_resume(folder: Path, junit_name: str) -> ResumePlan:
    """What to resume from the last run's report in ``folder``; a complete run (or no run)
    leaves nothing to resume: a selection error (exit 3)."""
    report = folder / "report.json"
    try:
        meta = json.loads(report.read_text(encoding="utf-8")).get("meta", {})
    except FileNotFoundError:
        raise SelectionError(
            f"nothing to resume: no report in {folder}",
            hint="--resume continues an interrupted run in the same results folder",
        ) from None
    except (OSError, ValueError, AttributeError) as exc:
        raise ResultsError(f"cannot read {report} to resume: {exc}") from None
    if not isinstance(meta, dict) or meta.get("status") != "INCOMPLETE":
        raise SelectionError(
            f"nothing to resume: the last run in {folder} is complete",
            hint="run without --resume to certify again",
        )
    junit = folder / junit_name
    return ResumePlan(
        previous_junit=junit if junit.is_file() else None,
        tests=_strings(meta.get("unfinished_tests")),
        run_id=str(meta.get("run_id", "")),
    )


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def node_arguments(config_path: Path, node_ids: tuple[str, ...]) -> list[str]:
    """pytest arguments selecting ``node_ids`` (``omnicloud.toml::<target>::<test>``)."""
    return [f"{config_path}::{node.split('::', 1)[1]}" for node in node_ids if "::" in node]
