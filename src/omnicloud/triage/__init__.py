"""Failure analysis: classify every failure, route it to its owners, detect flakes, remember.

The pipeline calls ``triage_results``; the pieces are usable alone: ``read_failures`` (any JUnit,
read once by ``omnicloud.results``), ``Classifier`` (pure), ``Router`` (owners), ``History``
(SQLite), ``rerun_failed`` (flakes).
Names are imported on first use, so importing one submodule stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omnicloud.triage.classify import Classifier, classify_failure
    from omnicloud.triage.defaults import DEFAULT_CATEGORIES, effective_categories
    from omnicloud.triage.flakes import rerun_failed
    from omnicloud.triage.history import History, fingerprint
    from omnicloud.triage.inputs import from_results, read_failures
    from omnicloud.triage.model import (
        Classification,
        ClassifiedFailure,
        Evidence,
        Failure,
        TriageReport,
    )
    from omnicloud.triage.route import Router
    from omnicloud.triage.run import triage_exit_code, triage_results

_WHERE = {
    "Classifier": "classify",
    "classify_failure": "classify",
    "DEFAULT_CATEGORIES": "defaults",
    "effective_categories": "defaults",
    "rerun_failed": "flakes",
    "History": "history",
    "fingerprint": "history",
    "from_results": "inputs",
    "read_failures": "inputs",
    "Classification": "model",
    "ClassifiedFailure": "model",
    "Evidence": "model",
    "Failure": "model",
    "TriageReport": "model",
    "Router": "route",
    "triage_exit_code": "run",
    "triage_results": "run",
}
__all__ = [
    "DEFAULT_CATEGORIES",
    "Classification",
    "ClassifiedFailure",
    "Classifier",
    "Evidence",
    "Failure",
    "History",
    "Router",
    "TriageReport",
    "classify_failure",
    "effective_categories",
    "fingerprint",
    "from_results",
    "read_failures",
    "rerun_failed",
    "triage_exit_code",
    "triage_results",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
