"""The one results model: what every JUnit file is read into, whoever wrote it.

``TestResult`` is one test (or a failure the file reports outside any test, see ``origin``);
``Results`` is a run, possibly merged from several files, with the problems the reader found in
them (``anomalies``). Triage, shard merge, durations, traceability, the matrix and the
certificates all consume these types.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["passed", "failed", "error", "skipped"]
#: ``outcome`` plus ``flaky``: passed in the end after at least one failed attempt.
Status = Literal["passed", "failed", "error", "skipped", "flaky"]
#: Where a result comes from: a ``<testcase>``; a ``<failure>``/``<error>`` placed directly under
#: ``<testsuite>`` (a class that could not load); or counts in the suite's attributes that the
#: file's testcases do not account for.
Origin = Literal["testcase", "suite", "counts"]

#: Property names our pytest plugin writes per test case and per suite.
NODEID_PROPERTY = "omnicloud.nodeid"
SHARD_PROPERTY = "omnicloud.shard"


@dataclass(frozen=True, slots=True)
class Attempt:
    """An earlier attempt of a test: a Surefire re-run element or a repeated testcase."""

    outcome: Literal["passed", "failed", "error", "skipped"]
    message: str = ""
    traceback: str = ""
    stdout: str = ""
    stderr: str = ""
    kind: str = ""


@dataclass(frozen=True)
class TestResult:
    """One test's outcome, as any JUnit producer reported it.

    ``message`` is the ``message`` attribute as written and ``kind`` its ``type`` attribute;
    ``traceback`` is the element's text. ``suite_output`` is the enclosing ``<testsuite>``'s own
    ``<system-out>``/``<system-err>`` (where Bazel and Ant put the real cause).
    """

    __test__ = False  # not a pytest test class

    classname: str
    name: str
    outcome: Outcome
    duration: float = 0.0
    message: str = ""
    traceback: str = ""
    stdout: str = ""
    stderr: str = ""
    provider: str | None = None
    suite: str | None = None
    file: str | None = None
    line: int | None = None
    source: str = ""
    properties: tuple[tuple[str, str], ...] = ()
    kind: str = ""
    testsuite: str = ""
    suite_output: str = ""
    attempts: tuple[Attempt, ...] = ()
    shard: str | None = None
    origin: Origin = "testcase"

    @property
    def test_id(self) -> str:
        """``classname::name``; just the name when there is no classname or it repeats it."""
        classname = self.classname
        return f"{classname}::{self.name}" if classname and classname != self.name else self.name

    @property
    def node_id(self) -> str | None:
        """The pytest node id our plugin recorded, to re-run exactly this test."""
        return self.property("omnicloud.nodeid")

    @property
    def pytest_id(self) -> str:
        """What to paste after ``pytest`` to run this test again: the recorded node id, else
        the JUnit ``classname::name``."""
        return self.node_id or self.test_id

    @property
    def status(self) -> Status:
        """The outcome, or ``flaky`` when it passed after failed attempts."""
        if self.outcome == "passed" and any(
            a.outcome in ("failed", "error") for a in self.attempts
        ):
            return "flaky"
        return self.outcome

    @property
    def ok(self) -> bool:
        return self.outcome in ("passed", "skipped")

    @property
    def output(self) -> str:
        """Everything the test printed, then its suite's own output."""
        return "\n".join(t for t in (self.stdout, self.stderr, self.suite_output) if t)

    def property(self, name: str) -> str | None:
        for key, value in self.properties:
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class Summary:
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    time: float = 0.0
    #: Of the skipped: tests the provider declared it fails (``expected_failures``, pytest xfail).
    expected: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors + self.skipped

    def add(self, result: TestResult) -> Summary:
        return Summary(
            passed=self.passed + (result.outcome == "passed"),
            failed=self.failed + (result.outcome == "failed"),
            errors=self.errors + (result.outcome == "error"),
            skipped=self.skipped + (result.outcome == "skipped"),
            time=self.time + result.duration,
            expected=self.expected + (result.outcome == "skipped" and result.kind == XFAIL_KIND),
        )

    @property
    def verdict(self) -> str:
        """``compliant``, ``VIOLATION``, ``ERROR`` or ``declared gaps`` (see :func:`verdict`)."""
        return verdict(self.failed, self.errors, self.expected)


#: The ``type`` pytest writes on the ``<skipped>`` element of an expected failure.
XFAIL_KIND = "pytest.xfail"


def verdict(failed: int, errors: int, expected: int = 0) -> str:
    """The verdict of one suite: ``VIOLATION`` when a test failed (the provider broke the
    contract), ``ERROR`` when tests could not run (setup or teardown failed: configuration,
    services or the provider's construction, not a contract verdict), ``declared gaps`` when
    declared expected failures stand in for passes, else ``compliant``."""
    if failed:
        return "VIOLATION"
    if errors:
        return "ERROR"
    if expected:
        return f"declared gaps ({expected} expected failure{'s' if expected > 1 else ''})"
    return "compliant"


@dataclass(frozen=True)
class Results:
    """All test results of a run (possibly merged from several JUnit files).

    ``anomalies`` lists what the reader found odd but could not turn into a result (a suite
    that says it holds tests and holds none); disagreeing failure counts become failed results.
    """

    tests: tuple[TestResult, ...] = ()
    sources: tuple[str, ...] = field(default=())
    anomalies: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[TestResult]:
        return iter(self.tests)

    def __len__(self) -> int:
        return len(self.tests)

    @property
    def failures(self) -> list[TestResult]:
        return [t for t in self.tests if not t.ok]

    def summary(self) -> Summary:
        total = Summary()
        for test in self.tests:
            total = total.add(test)
        return total

    def by_target(self) -> dict[tuple[str, str], Summary]:
        """Summaries per (provider, suite), for tests generated by omnicloud."""
        table: dict[tuple[str, str], Summary] = {}
        for test in self.tests:
            key = (test.provider or "-", test.suite or test.classname or "-")
            table[key] = table.get(key, Summary()).add(test)
        return table


def split_classname(classname: str) -> tuple[str | None, str | None]:
    """``omnicloud.toml.redis-kv:kv_store`` -> (``redis-kv``, ``kv_store``)."""
    last = classname.rsplit(".", 1)[-1]
    if ":" not in last:
        return None, None
    provider, _, suite = last.partition(":")
    return provider or None, suite or None
