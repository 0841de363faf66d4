"""Typed inputs and outputs of failure analysis.

``Failure`` is what any JUnit file (ours, pytest, Surefire, gotestsum, Jest) is read into;
``Classification`` is what the pure classifier returns; ``ClassifiedFailure`` adds routing, the
filled-in suggestion and the history fingerprint. Plain frozen dataclasses with slots: the
classifier handles 100,000 of them per second, so they stay cheaper than pydantic models.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from omnicloud.results.model import Attempt

Status = Literal["failed", "error", "skipped", "flaky"]
STATUSES: tuple[Status, ...] = ("failed", "error", "skipped", "flaky")

#: Fields a category pattern can match; ``output`` covers stdout, stderr and log.
PATTERN_FIELDS = (
    "message",
    "traceback",
    "output",
    "test_id",
    "provider",
    "contract",
    "capability",
    "marker",
)


@dataclass(frozen=True, slots=True)
class Failure:
    """A test that did not pass, from any JUnit producer."""

    test_id: str
    status: Status = "failed"
    message: str = ""
    traceback: str = ""
    stdout: str = ""
    stderr: str = ""
    log: str = ""
    provider: str | None = None
    contract: str | None = None
    capability: str | None = None
    markers: tuple[str, ...] = ()
    file: str | None = None
    line: int | None = None
    duration: float = 0.0
    suite: str = ""
    source: str = ""
    attempts: tuple[Attempt, ...] = ()


@dataclass(frozen=True, slots=True)
class Evidence:
    """One pattern that matched: the field, the pattern and the text it matched."""

    field: str
    pattern: str
    text: str
    rule: str


@dataclass(frozen=True, slots=True)
class Classification:
    """The classifier's answer: a category, the rule (config key path) and the evidence."""

    category: str
    rule: str
    evidence: tuple[Evidence, ...] = ()
    suggestion: str | None = None
    route: str | None = None


UNCLASSIFIED = "unclassified"


@dataclass(frozen=True, slots=True)
class ClassifiedFailure:
    """A failure with its category, evidence, owners, suggestion and history fingerprint."""

    failure: Failure
    category: str
    rule: str
    evidence: tuple[Evidence, ...]
    owners: tuple[str, ...]
    owner_source: str
    suggestion: str
    fingerprint: str
    history: str = "new"  # new | recurring | regressed (set by history.py)
    first_seen_run: str | None = None
    first_seen_commit: str | None = None

    @property
    def evidence_text(self) -> str:
        return self.evidence[0].text if self.evidence else ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["evidence_text"] = self.evidence_text
        return data


@dataclass(frozen=True)
class Fixed:
    """A failure fingerprint seen failing in the previous run and passing in this one."""

    test_id: str
    fingerprint: str
    category: str
    last_failed_run: str


@dataclass(frozen=True)
class TriageReport:
    """The outcome of triaging one run: classified failures grouped by owner, and history."""

    run_id: str
    failures: tuple[ClassifiedFailure, ...]
    fixed: tuple[Fixed, ...] = ()
    flakiness: dict[str, float] = field(default_factory=dict)
    passed: int = 0
    written: tuple[str, ...] = ()
    sink_errors: tuple[str, ...] = ()
    #: What the JUnit reader found wrong in the files (counts it could not match, empty suites).
    anomalies: tuple[str, ...] = ()

    def by_owner(self) -> dict[str, list[ClassifiedFailure]]:
        groups: dict[str, list[ClassifiedFailure]] = {}
        for item in self.failures:
            for owner in item.owners:
                groups.setdefault(owner, []).append(item)
        return dict(sorted(groups.items()))

    @property
    def blocking(self) -> tuple[ClassifiedFailure, ...]:
        """Failures that fail the run: everything except skips and flakes."""
        return tuple(f for f in self.failures if f.failure.status in ("failed", "error"))
