"""Claims versus results: the status of one (provider, suite) cell. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, Protocol

from omnicloud.capabilities.expected import EXPECTED_PREFIX

Status = Literal[
    "pass",  # claimed (or the contract) and every test passed
    "fail",  # the provider's contract suite failed
    "false_claim",  # a declared interface whose suite fails
    "expected_failure",  # declared with expected_failures, and it does fail
    "unexpected_pass",  # declared with expected_failures, but it passes: flagged
    "not_claimed",  # not declared (and, if probed, not passing)
    "probe_pass",  # not declared, but --probe ran it and it passes: declare it
    "not_run",  # declared, but no test of it ran (or all were skipped)
]

#: Statuses that make the run fail.
PROBLEMS: frozenset[str] = frozenset({"fail", "false_claim", "unexpected_pass"})


class Outcome(Protocol):
    """What ``classify`` reads from a test result (``omnicloud.results.TestResult``)."""

    @property
    def outcome(self) -> str: ...

    @property
    def message(self) -> str: ...


def is_expected_failure(test: Outcome) -> bool:
    return test.outcome == "skipped" and test.message.startswith(EXPECTED_PREFIX)


def classify(
    tests: Iterable[Outcome], *, claimed: bool, expected: bool = False, contract: bool = False
) -> Status:
    """The cell status of one suite's test results for one provider."""
    tests = list(tests)
    failed = any(t.outcome in ("failed", "error") for t in tests)
    xfailed = any(is_expected_failure(t) for t in tests)
    passed = any(t.outcome == "passed" for t in tests)
    if contract:
        return "fail" if failed else ("pass" if passed else "not_run")
    if not claimed:
        return "probe_pass" if passed and not failed and not xfailed else "not_claimed"
    if expected:
        if failed or xfailed:
            return "expected_failure"
        return "unexpected_pass" if passed else "not_run"
    if failed:
        return "false_claim"
    return "pass" if passed else "not_run"
