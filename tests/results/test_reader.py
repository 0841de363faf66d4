"""The one JUnit reader: hostile input refused (exit 6), real shapes read without a silent green."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnicloud.errors import ExitCode, ResultsError
from omnicloud.results import MAX_DEPTH, load_results, parse_tree, read_junit


def write(tmp_path: Path, text: str, name: str = "junit.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_fifty_thousand_nested_suites_are_refused_without_recursion_error(
    tmp_path: Path,
) -> None:
    depth = 50_000
    path = write(
        tmp_path, "<testsuites>" + "<testsuite>" * depth + "</testsuite>" * depth + "</testsuites>"
    )
    with pytest.raises(ResultsError) as info:
        load_results([path])
    assert info.value.exit_code == ExitCode.RESULTS == 6
    assert info.value.message == (
        f"{path}: elements nest more than {MAX_DEPTH} deep (<testsuite>): not a JUnit file a"
        " test tool writes"
    )


def test_nesting_within_the_limit_is_read(tmp_path: Path) -> None:
    depth = 20
    inner = '<testcase classname="c" name="t"><failure message="boom"/></testcase>'
    opening = "".join(f'<testsuite name="s{i}" failures="1">' for i in range(depth))
    path = write(tmp_path, f"<testsuites>{opening}{inner}{'</testsuite>' * depth}</testsuites>")
    [test] = load_results([path])
    assert (test.test_id, test.outcome, test.testsuite) == ("c::t", "failed", "s19")
    assert load_results([path]).anomalies == ()  # every level's count is accounted for


@pytest.mark.parametrize(
    "text",
    [
        '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
        '<testsuite name="x"><testcase name="&b;"/></testsuite>',
        '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY s SYSTEM "file:///etc/passwd">]>'
        '<testsuite name="x"><testcase name="&s;"/></testsuite>',
    ],
)
def test_entity_declarations_are_refused(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ResultsError, match="refused unsafe XML: it declares entities") as info:
        read_junit(path)
    assert info.value.exit_code == 6


def test_one_size_limit_for_every_reader(tmp_path: Path) -> None:
    path = write(tmp_path, "<testsuite>" + "<testcase name='a'/>" * 100 + "</testsuite>")
    with pytest.raises(ResultsError, match="above the 100-byte limit"):
        load_results([path], max_bytes=100)
    with pytest.raises(ResultsError, match="above the 100-byte limit"):
        parse_tree(path, max_bytes=100)


def test_a_failure_directly_under_testsuite_is_a_failed_test_named_after_the_suite(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        '<testsuite name="com.acme.Broken" tests="1" errors="1">'
        '<error type="java.lang.NoClassDefFoundError" message="com/acme/Store">trace</error>'
        "<system-err>could not load com.acme.Store</system-err></testsuite>",
    )
    [test] = load_results([path])
    assert (test.test_id, test.outcome, test.origin) == ("com.acme.Broken", "error", "suite")
    assert (test.kind, test.message, test.traceback) == (
        "java.lang.NoClassDefFoundError",
        "com/acme/Store",
        "trace",
    )
    assert test.suite_output == "could not load com.acme.Store"
    assert not test.ok


def test_counts_the_testcases_do_not_hold_are_a_failure_and_an_anomaly(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '<testsuites><testsuite name="s" tests="2" failures="2" errors="1">'
        '<testcase classname="c" name="a"><failure message="x"/></testcase>'
        '<testcase classname="c" name="b"/></testsuite></testsuites>',
    )
    results = load_results([path])
    lost = [t for t in results if t.origin == "counts"]
    assert [(t.test_id, t.outcome) for t in lost] == [("s", "error")]
    assert "counts failures=2 errors=1, but 2 of them are not in the file" in lost[0].message
    assert results.summary().errors == 1
    assert len(results.anomalies) == 1  # reported once, not again by <testsuites>


def test_fewer_counted_failures_than_found_is_not_a_failure(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '<testsuite name="s" failures="0"><testcase name="a"><failure/></testcase></testsuite>',
    )
    assert [t.origin for t in load_results([path])] == ["testcase"]


def test_repeated_testcases_are_retries(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '<testsuite name="p" failures="3">'
        '<testcase classname="p" name="A"><failure message="first"/></testcase>'
        '<testcase classname="p" name="B"><failure message="once"/></testcase>'
        '<testcase classname="p" name="A"><failure message="second"/></testcase>'
        '<testcase classname="p" name="B"/>'
        '<testcase classname="p" name="A"><failure message="third"/></testcase>'
        "</testsuite>",
    )
    tests = {t.name: t for t in load_results([path])}
    assert len(tests) == 2
    assert (tests["A"].status, tests["A"].message) == ("failed", "third")
    assert [a.message for a in tests["A"].attempts] == ["first", "second"]
    assert (tests["B"].status, tests["B"].outcome, tests["B"].ok) == ("flaky", "passed", True)


def test_surefire_rerun_elements_are_attempts(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '<testsuite name="S" flakes="1"><testcase classname="S" name="t">'
        '<flakyFailure message="m" type="T"><stackTrace>at S.t(S.java:3)</stackTrace>'
        "<system-out>o</system-out></flakyFailure></testcase></testsuite>",
    )
    [test] = load_results([path])
    assert test.status == "flaky"
    [attempt] = test.attempts
    assert (attempt.outcome, attempt.kind, attempt.traceback, attempt.stdout) == (
        "failed",
        "T",
        "at S.t(S.java:3)",
        "o",
    )


def test_shard_node_id_properties_and_suite_output(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '<testsuites><testsuite name="pytest"><properties>'
        '<property name="omnicloud.shard" value="2/3"/></properties>'
        '<testcase classname="tests.test_a" name="test_x" file="tests/test_a.py" line="7"'
        ' time="1,234.5">'
        '<properties><property name="omnicloud.nodeid" value="tests/test_a.py::test_x"/>'
        '<property name="provider" value="redis-kv"/></properties>'
        "<system-out>printed</system-out><error message='e'/><failure message='f'/></testcase>"
        "<system-out>suite says</system-out></testsuite></testsuites>",
    )
    [test] = load_results([path])
    assert test.shard == "2/3"
    assert test.node_id == "tests/test_a.py::test_x"
    assert test.property("provider") == "redis-kv"
    assert (test.file, test.line, test.duration) == (
        "tests/test_a.py",
        7,
        1234.5,
    )  # Surefire groups digits
    assert test.outcome == "error"  # error outranks failure in one testcase
    assert test.output == "printed\nsuite says"


def test_a_suite_claiming_tests_but_holding_none_is_an_anomaly(tmp_path: Path) -> None:
    path = write(tmp_path, '<testsuite name="empty" tests="4"/>')
    results = load_results([path])
    assert list(results) == []
    assert results.anomalies == (
        f"{path}: <testsuite name='empty'> says tests=4 but holds no testcase",
    )


def test_this_is_the_only_junit_parser_in_the_code() -> None:
    src = Path(__file__).resolve().parents[2] / "src" / "omnicloud"
    parsers = [
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if any(
            needle in p.read_text(encoding="utf-8")
            for needle in ("ElementTree.parse(", "ElementTree.fromstring(", "JUnitXml.fromfile(")
        )
    ]
    assert parsers == ["results/reader.py"]
