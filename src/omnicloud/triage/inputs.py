"""What triage reads: the results package's ``TestResult``s turned into ``Failure``s.

JUnit is read once, by ``omnicloud.results``; this module only chooses the evidence a category
pattern looks at: a typed message (``AssertionFailedError: expected...``, or the text's first
lines when the message says no more than "Failed"), the traceback, and the output, which holds
the test's own stdout/stderr and its suite's (Bazel and Ant put the real cause there).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from omnicloud.results import MAX_JUNIT_BYTES, Attempt, Results, TestResult, load_results
from omnicloud.triage.model import Failure

_MESSAGE_LIMIT = 2000
_GENERIC_MESSAGES = ("", "failed", "failure", "error")
_GO_NOISE = ("=== RUN", "=== PAUSE", "=== CONT", "--- FAIL", "--- PASS", "--- SKIP")


@dataclass(frozen=True)
class TriageInput:
    """A run as triage sees it: failures (failed, error, flaky), skips and passing test ids."""

    failures: list[Failure] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    skipped: list[Failure] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)


def read_failures(paths: Sequence[Path], *, max_bytes: int = MAX_JUNIT_BYTES) -> TriageInput:
    """Read JUnit files (a directory means every ``*.xml`` below it) for triage."""
    return from_results(load_results(paths, max_bytes=max_bytes))


def from_results(results: Results) -> TriageInput:
    out = TriageInput(sources=list(results.sources), anomalies=list(results.anomalies))
    for test in results:
        status = test.status
        if status == "passed":
            out.passed.append(test.test_id)
        elif status == "skipped":
            out.skipped.append(to_failure(test))
        else:
            out.failures.append(to_failure(test))
    return out


def to_failure(test: TestResult) -> Failure:
    """The triage view of one result that did not plainly pass."""
    props = dict(test.properties)
    status = test.status
    flaky = status == "flaky"
    evidence = _flaky_evidence(test) if flaky else None
    provider, contract = test.provider, test.suite
    return Failure(
        test_id=test.test_id,
        status="failed" if status == "passed" else status,
        message=typed_message(*evidence[:3]) if evidence else typed_message(*_own(test)),
        traceback=(evidence[2] if evidence else test.traceback),
        stdout=test.stdout,
        stderr=test.stderr,
        log="\n".join(t for t in (props.get("log", ""), test.suite_output) if t),
        provider=props.get("provider", provider),
        contract=props.get("contract", contract),
        capability=props.get("capability") or props.get("interface"),
        markers=tuple(m for m in props.get("markers", "").split(",") if m),
        file=test.file or props.get("file"),
        line=test.line,
        duration=test.duration,
        suite=test.testsuite,
        source=test.source,
        attempts=test.attempts,
    )


def _own(test: TestResult) -> tuple[str, str, str]:
    return test.message, test.kind, test.traceback


def _flaky_evidence(test: TestResult) -> tuple[str, str, str] | None:
    failed = [a for a in test.attempts if a.outcome in ("failed", "error")]
    return _attempt_evidence(failed[-1]) if failed else None


def _attempt_evidence(attempt: Attempt) -> tuple[str, str, str]:
    return attempt.message, attempt.kind, attempt.traceback


def typed_message(message: str, kind: str, text: str) -> str:
    """The message prefixed by its type; the text's first lines when the message is generic."""
    message = message.strip()
    kind = kind.strip()
    if message.lower() in _GENERIC_MESSAGES:  # gotestsum says "Failed"; the text says why
        message = " ".join(_meaningful_lines(text)[:3])
    if kind and kind not in message:
        message = f"{kind}: {message}" if message else kind
    return message[:_MESSAGE_LIMIT]


def _meaningful_lines(text: str) -> list[str]:
    lines: Iterable[str] = (ln.strip() for ln in text.splitlines())
    return [ln for ln in lines if ln and not ln.startswith(_GO_NOISE)]
