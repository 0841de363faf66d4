"""The certify table reads at a glance: a contract session shows its contract's suites, the
rest of a provider's passing suites fold into one line, and declared expected failures are
never read as compliant."""

from __future__ import annotations

import io

from rich.console import Console

from omnicloud.report.terminal import render_table
from omnicloud.results import Results, TestResult


def result(provider: str, suite: str, outcome: str = "passed", kind: str = "") -> TestResult:
    return TestResult(
        classname=f"omnicloud.toml.{provider}:{suite}",
        name=f"test_{suite}",
        outcome=outcome,  # type: ignore[arg-type]
        provider=provider,
        suite=suite,
        kind=kind,
    )


def rendered(results: Results, **options: object) -> str:
    out = io.StringIO()
    render_table(results, Console(file=out, width=200), **options)  # type: ignore[arg-type]
    return out.getvalue()


MEMSTORE = [result("memstore", s) for s in ("keyvalue_basic", "keyvalue_ttl", "kv_store")] + [
    result("memstore", f"set_{n}") for n in ("basic", "operations", "random", "cardinality")
]


def test_a_contract_session_folds_other_families_into_one_line() -> None:
    text = rendered(Results(tuple(MEMSTORE)), focus=("kv_store",))
    assert "keyvalue_basic" in text
    assert "keyvalue_ttl" in text
    assert "set_basic" not in text
    assert "4 other suites, each compliant" in text
    assert "every suite is listed in report.md" in text


def test_a_failing_suite_is_never_folded() -> None:
    tests = [*MEMSTORE, result("memstore", "set_random", "failed")]
    text = rendered(Results(tuple(tests)), focus=("kv_store",))
    assert "set_random" in text
    assert "VIOLATION" in text
    assert "3 other suites, each compliant" in text


def test_without_a_focus_a_provider_with_many_passing_suites_is_one_line() -> None:
    many = [result("redis", f"iface_{i}") for i in range(12)]
    few = [result("sqlite-kv", "kv_store")]
    text = rendered(Results(tuple(many + few)))
    assert "iface_3" not in text
    assert "12 suites, each compliant" in text
    assert "kv_store" in text  # a provider with few suites keeps its rows


def test_declared_expected_failures_are_gaps_not_compliance() -> None:
    tests = [
        result("aws-sqs", "queue_basic"),
        result("aws-sqs", "queue_basic", "skipped", kind="pytest.xfail"),
    ]
    text = rendered(Results(tuple(tests)))
    assert "declared gaps (1 expected failure)" in text
    assert "compliant" not in text
    assert "1 (1 xfail)" in text


def test_a_suite_that_could_not_run_is_an_error_not_a_violation() -> None:
    tests = [result("redis-kv", "kv_store", "error"), result("memory-kv", "kv_store", "failed")]
    text = rendered(Results(tuple(tests)))
    assert "ERROR" in text
    assert "1 suite(s) could not be tested" in text
    assert "1 suite(s) violate their contract" in text
