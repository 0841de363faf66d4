"""The classifier: every rule kind, any/all, precedence, status filters, defaults, exactness."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnicloud.config.models import FailureCategory, FailuresConfig
from omnicloud.triage.classify import Classifier, naive_classify
from omnicloud.triage.defaults import DEFAULT_CATEGORIES, effective_categories
from omnicloud.triage.model import Failure
from omnicloud.triage.patterns import analyse, digit_blind


def categories(*specs: dict[str, Any]) -> list[tuple[FailureCategory, str]]:
    return [(FailureCategory(**spec), f"failures.categories.{i}") for i, spec in enumerate(specs)]


def classify(failure: Failure, *specs: dict[str, Any]) -> Any:
    cats = categories(*specs)
    result = Classifier(cats).classify(failure)
    assert result == naive_classify(failure, cats)  # the fast path answers like the naive loop
    return result


TRACEBACK = """self = <tests.test_kv.TestKV object at 0x7f3a9c2b1d90>

    async def test_delete(self, kv):
>       await kv.delete("missing")

  File "/venv/lib/python3.11/site-packages/redis/asyncio/connection.py", line 280, in connect
    await self.retry.call_with_retry(
E   ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 6390)"""


@pytest.mark.parametrize(
    ("field", "pattern", "failure", "evidence"),
    [
        (
            "message",
            r"Connect call failed",
            Failure("t", message="x: Connect call failed"),
            "Connect call failed",
        ),
        (
            "traceback",
            r"redis/asyncio/\w+\.py",
            Failure("t", traceback=TRACEBACK),
            "redis/asyncio/connection.py",
        ),
        (
            "output",
            r"level=error \w+",
            Failure("t", stdout="ok\nlevel=error disk"),
            "level=error disk",
        ),
        (
            "output",
            r"Address already in use",
            Failure("t", stderr="bind: Address already in use"),
            "Address already in use",
        ),
        ("output", r"OOM\w*", Failure("t", log="kernel: OOMKilled pid 4"), "OOMKilled"),
        (
            "test_id",
            r"::test_ttl_\w+",
            Failure("tests/t.py::test_ttl_expires"),
            "::test_ttl_expires",
        ),
        ("provider", r"^redis-", Failure("t", provider="redis-kv"), "redis-"),
        ("contract", r"^kv_store$", Failure("t", contract="kv_store"), "kv_store"),
        ("capability", r"keyvalue_ttl", Failure("t", capability="keyvalue_ttl"), "keyvalue_ttl"),
        ("marker", r"^tenancy$", Failure("t", markers=("slow", "tenancy")), "tenancy"),
    ],
)
def test_each_field_rule_kind_matches_and_reports_evidence(
    field: str, pattern: str, failure: Failure, evidence: str
) -> None:
    result = classify(failure, {"name": "mine", field: [pattern], "route": "team-a"})
    assert result.category == "mine"
    assert result.rule == f"failures.categories.0.{field}.0"
    assert result.evidence[0].text == evidence
    assert result.evidence[0].field == field
    assert result.route == "team-a"


def test_a_field_rule_that_does_not_match_leaves_the_failure_unclassified() -> None:
    result = classify(Failure("t", message="boom"), {"name": "mine", "provider": ["redis"]})
    assert result.category == "unclassified"
    assert result.rule == ""
    assert result.evidence == ()


def test_status_filter_restricts_a_category_and_alone_matches_on_status() -> None:
    spec = {"name": "errors-only", "message": ["boom"], "status": ["error"]}
    assert classify(Failure("t", status="failed", message="boom"), spec).category == (
        "unclassified"
    )
    assert classify(Failure("t", status="error", message="boom"), spec).category == "errors-only"
    skips = classify(Failure("t", status="skipped"), {"name": "skips", "status": ["skipped"]})
    assert skips.category == "skips"
    assert skips.rule == "failures.categories.0.status"
    assert skips.evidence[0].text == "skipped"


def test_any_needs_one_pattern_and_all_needs_every_pattern() -> None:
    failure = Failure("t", message="Timeout talking to redis", provider="redis-kv")
    anyof = {"name": "a", "message": ["Timeout", "nope"], "match": "any"}
    allof = {"name": "b", "message": ["Timeout"], "provider": ["^redis"], "match": "all"}
    allof_missing = {"name": "c", "message": ["Timeout", "nope"], "match": "all"}
    assert classify(failure, anyof).category == "a"
    result = classify(failure, allof)
    assert result.category == "b"
    assert [e.text for e in result.evidence] == ["Timeout", "redis"]
    assert classify(failure, allof_missing).category == "unclassified"


def test_higher_precedence_wins_then_declaration_order() -> None:
    failure = Failure("t", message="ConnectionError: Timeout")
    first = {"name": "first", "message": ["ConnectionError"]}
    second = {"name": "second", "message": ["Timeout"]}
    assert classify(failure, first, second).category == "first"
    assert classify(failure, first, {**second, "precedence": 5}).category == "second"


def test_configured_category_with_a_default_name_replaces_it_and_defaults_can_be_dropped() -> None:
    config = FailuresConfig(categories=[FailureCategory(name="timeout", message=["slow"])])
    cats = effective_categories(config)
    names = [c.name for c, _ in cats]
    assert names.count("timeout") == 1
    assert cats[0][1] == "failures.categories.0"
    assert {c.name for c in DEFAULT_CATEGORIES} <= set(names)
    assert Classifier(cats).classify(Failure("t", message="TimeoutError")).category != "timeout"
    assert effective_categories(FailuresConfig(defaults=False)) == []


@pytest.mark.parametrize(
    ("failure", "category"),
    [
        (
            Failure("t", message="ConnectionRefusedError: [Errno 111] Connection refused"),
            "infrastructure",
        ),
        (
            Failure("t", message="dial tcp 127.0.0.1:4222: connect: connection refused"),
            "infrastructure",
        ),
        (Failure("t", message="TimeoutError: no answer in 30s"), "timeout"),
        (Failure("t", message="thrown: Exceeded timeout of 5000 ms for a test."), "timeout"),
        (
            Failure("t", status="error", message='failed on setup with "ModuleNotFoundError"'),
            "setup error",
        ),
        (Failure("t", message="NotImplementedError: scan"), "not implemented"),
        (Failure("t", message="java.lang.UnsupportedOperationException: SCAN"), "not implemented"),
        (Failure("t", message="assert b'x' == None"), "contract violation"),
        (Failure("t", status="flaky", message="ConnectionRefusedError"), "flaky"),
        (Failure("t", message="ZeroDivisionError"), "unclassified"),
    ],
)
def test_builtin_categories(failure: Failure, category: str) -> None:
    cats = effective_categories(FailuresConfig())
    assert Classifier(cats).classify(failure).category == category


def test_pattern_analysis_finds_literals_line_locality_and_digit_blindness() -> None:
    info = analyse(r"(?i)connection (refused|reset)")
    assert info.line_local
    assert info.literals is not None
    assert [lit.text for lit in info.literals] == ["connection "]
    assert info.literals[0].ignore_case
    assert not analyse(r"^E   ").line_local  # anchors depend on the whole text
    assert not analyse(r"a\sb").line_local  # \s matches a newline
    assert analyse(r"[^\n]+x").line_local
    assert analyse(r"a*").literals is None
    assert digit_blind(r"port \d+")
    assert not digit_blind(r"Errno 111")
    assert not digit_blind(r"[1-5]xx")


WORDS = [
    "Connection refused",
    "Timeout",
    "timed out",
    "E111",
    "port 6379",
    "assert",
    "\u017f",
    "KEY",
    "ke",
    "x",
]
PATTERNS = [
    r"Connection \w+",
    r"(?i)timed? ?out",
    r"E\d{3}",
    r"port 63\d\d",
    r"^assert",
    r"[1-5]x",
    r"(?i)key",
    r"ke$",
    r"(?s)Time.*port",
    r"\bx\b",
    r"out\sport",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([*WORDS, "\n", " ", "0", "9", "Ω"]), max_size=30),
    st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=4),
    st.sampled_from(["any", "all"]),
)
def test_fast_classifier_agrees_with_the_naive_loop(
    pieces: list[str], patterns: list[str], match: str
) -> None:
    text = "".join(pieces)
    specs = [
        {"name": f"c{i}", "message": [p], "traceback": [p], "match": match}
        for i, p in enumerate(patterns)
    ]
    specs.append({"name": "both", "message": patterns, "match": match})
    cats = categories(*specs)
    classifier = Classifier(cats)
    for failure in (Failure("t", message=text), Failure("t", traceback=text)):
        assert classifier.classify(failure) == naive_classify(failure, cats)
        assert classifier.classify(failure) == naive_classify(failure, cats)  # from the caches


def test_cached_lines_give_evidence_from_the_failure_itself() -> None:
    cats = categories({"name": "ports", "traceback": [r"port \d+ refused"]})
    classifier = Classifier(cats)
    rnd = random.Random(3)
    for _ in range(20):
        port = rnd.randint(1000, 9999)
        failure = Failure("t", traceback=f"line one\nport {port} refused\nend")
        result = classifier.classify(failure)
        assert result.evidence[0].text == f"port {port} refused"
    assert re.fullmatch(r"port 0+ refused", next(iter(classifier.scanners["traceback"].lines)))


def test_bounded_caches_stay_exact_when_they_are_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    from omnicloud.triage import classify as module

    monkeypatch.setattr(module, "_CACHE_LIMIT", 2)
    cats = categories({"name": "refused", "traceback": [r"Connection \w+"]})
    classifier = Classifier(cats)
    texts = ["Connection refused", "a\nb", "Connection refused\nc", "d\nConnection reset"]
    for text in texts:  # the third text finds the cache full while one of its lines is known
        failure = Failure("t", traceback=text)
        assert classifier.classify(failure) == naive_classify(failure, cats)
        assert classifier.classify(failure).category == (
            "refused" if "Conn" in text else "unclassified"
        )
    assert len(classifier.scanners["traceback"].clean) <= 2
