"""Failure analysis: classify every failure, route it to its owners, detect flakes, remember.

The pipeline calls ``triage_results``; the pieces are usable alone: ``read_junit`` (any JUnit),
``Classifier`` (pure), ``Router`` (owners), ``History`` (SQLite), ``rerun_failed`` (flakes).
"""

from omnicloud.triage.classify import Classifier, classify_failure
from omnicloud.triage.defaults import DEFAULT_CATEGORIES, effective_categories
from omnicloud.triage.flakes import rerun_failed
from omnicloud.triage.history import History, fingerprint
from omnicloud.triage.junit import read_junit, read_junit_files
from omnicloud.triage.model import (
    Classification,
    ClassifiedFailure,
    Evidence,
    Failure,
    TriageReport,
)
from omnicloud.triage.route import Router
from omnicloud.triage.run import triage_exit_code, triage_results

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
    "read_junit",
    "read_junit_files",
    "rerun_failed",
    "triage_exit_code",
    "triage_results",
]
