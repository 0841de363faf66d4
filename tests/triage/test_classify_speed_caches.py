"""The classifier's fast paths stay exact: caches, the literal prefilter, case folding."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnicloud.config.models import FailureCategory
from omnicloud.triage import classify as module
from omnicloud.triage.classify import Classifier, naive_classify
from omnicloud.triage.model import Failure, Status
from omnicloud.triage.patterns import Literal, any_literal


def categories(*specs: dict[str, Any]) -> list[tuple[FailureCategory, str]]:
    return [(FailureCategory(**spec), f"failures.categories.{i}") for i, spec in enumerate(specs)]


def long_traceback(middle: str) -> str:
    """Over the short-text limit, with the same head and tail whatever ``middle`` is."""
    head = "Traceback (most recent call last):\n" + "  File 'a.py', line 1, in f\n" * 30
    tail = "\n" + "    return g()\n" * 30 + "E   boom"
    return head + middle + tail


def test_long_texts_with_one_signature_keep_their_own_evidence() -> None:
    cats = categories({"name": "refused", "traceback": [r"port \d+ refused", r"(?m)^E   \w+$"]})
    classifier = Classifier(cats)
    first = Failure("t", traceback=long_traceback("port 1111 refused"))
    second = Failure("t", traceback=long_traceback("port 2222 refused"))
    assert len(first.traceback) == len(second.traceback) > module._TEXT_CACHE_MAX_CHARS
    for failure in (first, second, first, second):
        result = classifier.classify(failure)
        assert result == naive_classify(failure, cats)
        assert result.evidence[0].text in failure.traceback
    assert classifier.classify(second).evidence[0].text == "port 2222 refused"
    assert len(classifier.scanners["traceback"].long) == 1  # one signature, compared whole


def test_equal_texts_in_distinct_objects_hit_the_caches_and_give_equal_answers() -> None:
    cats = categories({"name": "refused", "traceback": [r"Connection \w+"]})
    classifier = Classifier(cats)
    text = long_traceback("ConnectionRefusedError: Connection refused")
    copy = (text + ".")[:-1]
    assert copy == text
    assert copy is not text
    assert classifier.classify(Failure("a", traceback=text)) == classifier.classify(
        Failure("b", traceback=copy)
    )
    assert classifier.classify(Failure("b", traceback=copy)).evidence[0].text == (
        "Connection refused"
    )


def test_remembered_decisions_depend_on_status_and_on_each_evidence_text() -> None:
    cats = categories(
        {"name": "errors", "message": [r"port \d+"], "status": ["error"]},
        {"name": "any", "message": [r"port \d+"]},
    )
    classifier = Classifier(cats)
    seen = []
    runs: list[tuple[Status, int]] = [("error", 1), ("failed", 1), ("error", 2), ("failed", 2)]
    for status, port in [*runs, ("error", 1)]:
        failure = Failure("t", status=status, message=f"refused on port {port}")
        result = classifier.classify(failure)
        assert result == naive_classify(failure, cats)
        seen.append((result.category, result.evidence[0].text))
    assert seen == [
        ("errors", "port 1"),
        ("any", "port 1"),
        ("errors", "port 2"),
        ("any", "port 2"),
        ("errors", "port 1"),
    ]


def test_masked_cache_slices_evidence_from_each_failure_even_across_fields() -> None:
    cats = categories({"name": "p", "message": [r"port \d+"], "output": [r"took \d+ ms"]})
    classifier = Classifier(cats)
    for n in (7, 65000, 7, 123):
        failure = Failure(
            "t", message=f"port {n}", log=f"a\ntook {n} ms\nb", stderr=f"took {n}0 ms"
        )
        result = classifier.classify(failure)
        assert result == naive_classify(failure, cats)
        assert [e.text for e in result.evidence] == [f"port {n}", f"took {n}0 ms"]


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("(?i)\u017ftop", "STOP"),  # LATIN SMALL LETTER LONG S folds to "s"
        ("(?i)kelvin", "\u212aelvin"),  # KELVIN SIGN folds to "k"
        ("(?i)connection refused", "Connection REFUSED"),
        ("(?i)\u00e9chec", "\u00c9CHEC"),
    ],
)
def test_case_insensitive_literals_use_the_regex_engine_folding(pattern: str, text: str) -> None:
    cats = categories({"name": "c", "message": [pattern], "traceback": [pattern]})
    classifier = Classifier(cats)
    for failure in (Failure("t", message=text), Failure("t", traceback=f"x\n{text}\ny")):
        expected = naive_classify(failure, cats)
        assert expected.category == "c"
        assert classifier.classify(failure) == expected


LITERALS = st.lists(
    st.tuples(st.text(alphabet="abAB\u017fsS\u212ak-", min_size=1, max_size=5), st.booleans()),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(LITERALS, st.text(alphabet="abAB\u017fsS\u212ak-\n", max_size=30))
def test_any_literal_finds_a_text_exactly_when_one_literal_occurs(
    literals: list[tuple[str, bool]], text: str
) -> None:
    regex = any_literal(Literal(t, ci) for t, ci in literals)
    expected = any(
        re.search(("(?i)" if ci else "") + re.escape(t), text) is not None for t, ci in literals
    )
    if not literals:
        assert regex is None
    else:
        assert regex is not None
        assert (regex.search(text) is not None) == expected


def test_any_literal_is_a_trie_and_drops_literals_with_a_literal_prefix() -> None:
    regex = any_literal(
        [Literal("connect", False), Literal("connection", False), Literal("conf", False)]
    )
    assert regex is not None
    assert regex.pattern == "con(?:f|nect)"


PIECES = [
    "Connection refused",
    "port 6379",
    "E111",
    "  File 'x.py', line 3",
    "\tat com.acme.Kv(Kv.java:42)",
    "    at get (kv.js:7:3)",
    "\n",
    " ",
    "9",
]
PATTERNS = [
    r"Connection \w+",
    r"at com\.\w+",
    r"\tat",
    r"(?m)^    at \w+",
    r"e File",
    r"\bat \w+ \(",
    r"port 63\d\d",
    r"E\d{3}",
    r"^  File",
    r"(?m)line \d$",
    r"[^x]refused",
    r"(?i)FILE",
    r"x\.py', line \d+",
]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=12),
    st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=3),
    st.integers(0, 3),
)
def test_long_texts_agree_with_the_naive_loop(
    pieces: list[str], patterns: list[str], filler: int
) -> None:
    text = ("padding line\n" * 90)[: filler * 400] + "".join(pieces)
    cats = categories(
        *({"name": f"c{i}", "traceback": [p], "output": [p]} for i, p in enumerate(patterns))
    )
    classifier = Classifier(cats)
    for failure in (Failure("t", traceback=text), Failure("t", stdout=text, log=text[::-1])):
        assert classifier.classify(failure) == naive_classify(failure, cats)
        assert classifier.classify(failure) == naive_classify(failure, cats)  # from the caches


def test_tiny_cache_bounds_keep_every_answer_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "_CACHE_LIMIT", 3)
    monkeypatch.setattr(module, "_LONG_CACHE_CHARS", 3000)
    cats = categories(
        {"name": "refused", "traceback": [r"port \d+ refused"], "message": [r"E\d+"]},
        {"name": "slow", "message": [r"took \d+"], "status": ["error"]},
    )
    classifier = Classifier(cats)
    failures = [
        Failure(
            "t",
            status="error" if n % 3 else "failed",
            message=f"E{n} took {n}",
            traceback=long_traceback(f"port {n % 4} refused" if n % 2 else f"ok {n}"),
        )
        for n in range(40)
    ]
    for failure in failures + failures[::-1]:
        assert classifier.classify(failure) == naive_classify(failure, cats)
    scanner = classifier.scanners["traceback"]
    assert len(scanner.long) <= 3
    assert scanner.long_chars <= 3000
    assert len(scanner.clean) + len(scanner.lines) <= 3 + 70  # one text's lines beyond the bound


def test_classify_all_answers_like_classify_and_restores_the_collector() -> None:
    import gc

    cats = categories({"name": "p", "message": [r"port \d+"]})
    failures = [Failure("t", message=f"port {n}") for n in range(5)] * 2
    assert gc.isenabled()
    results = Classifier(cats).classify_all(failures)
    assert gc.isenabled()
    assert results == [naive_classify(f, cats) for f in failures]


@pytest.mark.parametrize(
    ("separator", "frame"),
    [
        ("\n  File ", "'a.py', line {n}, in f"),
        ("\n\tat ", "a.B(B.java:{n})"),
        ("\n    at ", "f (a.js:{n})"),
    ],
)
def test_frames_are_cached_and_give_the_leftmost_evidence_of_each_failure(
    separator: str, frame: str
) -> None:
    cats = categories({"name": "c", "traceback": [r"line \d+|java:\d+|js:\d+", r"boom \d"]})
    classifier = Classifier(cats)
    for n in (3, 41, 3, 77):
        frames = separator.join(frame.format(n=n + k) for k in range(3))
        failure = Failure("t", traceback=f"head {n}{separator}{frames}\nboom {n % 10}")
        result = classifier.classify(failure)
        assert result == naive_classify(failure, cats)
        assert result.evidence[0].text.endswith(str(n))
    assert classifier.scanners["traceback"].frames[separator][0]  # frame bodies were cached


def test_many_matching_lines_and_frames_keep_the_leftmost_evidence() -> None:
    cats = categories({"name": "c", "traceback": [r"step [a-z]+ failed", r"x(\d)"]})
    classifier = Classifier(cats)
    words = [chr(97 + n % 26) * (1 + n // 26) for n in range(60)]  # 60 distinct lines
    for separator in ("\n", "\n  File "):
        lines = [f"step {word} failed x{n % 7}" for n, word in enumerate(reversed(words))]
        failure = Failure("t", traceback="head" + separator + separator.join(lines))
        result = classifier.classify(failure)
        assert result == naive_classify(failure, cats)
        assert [e.text for e in result.evidence] == [f"step {words[-1]} failed", "x0"]
