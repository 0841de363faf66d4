"""Reading JUnit from pytest, Surefire, gotestsum, Jest; hostile and broken XML is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnicloud.errors import ExitCode, ResultsError
from omnicloud.results import MAX_JUNIT_BYTES
from omnicloud.triage.inputs import TriageInput, read_failures

CORPUS = Path(__file__).parent / "corpus"


def read_junit(path: Path, *, max_bytes: int = MAX_JUNIT_BYTES) -> TriageInput:
    return read_failures([path], max_bytes=max_bytes)


def read_junit_files(paths: list[Path]) -> TriageInput:
    return read_failures(paths)


def by_id(path: Path) -> dict[str, object]:
    run = read_junit(path)
    return {f.test_id: f for f in [*run.failures, *run.skipped]}


def test_omnicloud_junit_gives_provider_suite_capability_and_markers() -> None:
    run = read_junit(CORPUS / "pytest-omnicloud.xml")
    assert run.passed == ["omnicloud.toml.memory-kv:kv_store::test_set_then_get"]
    failures = {f.test_id: f for f in run.failures}
    deleted = failures["omnicloud.toml.memory-kv:kv_store::test_delete_missing_key_is_a_no_op"]
    assert (deleted.provider, deleted.contract, deleted.status) == (
        "memory-kv",
        "kv_store",
        "failed",
    )
    assert deleted.message.startswith("AssertionError: delete() of a missing key")
    assert "KeyError: 'missing'" in deleted.traceback
    setup = failures["omnicloud.toml.redis-kv:kv_store::test_scan_prefix"]
    assert setup.status == "error"
    assert setup.stderr == "redis-server: Address already in use"
    tenancy = failures["omnicloud.toml.sqlite-kv:kv_store::test_tenant_isolation"]
    assert tenancy.capability == "multi_tenancy"
    assert tenancy.markers == ("tenancy", "slow")
    assert [s.test_id for s in run.skipped] == [
        "omnicloud.toml.sqlite-kv:kv_store::test_ttl_expires"
    ]


def test_surefire_rerun_and_flaky_elements() -> None:
    cases = by_id(CORPUS / "surefire-TEST-com.acme.kv.RedisKVTest.xml")
    rerun = cases["com.acme.kv.RedisKVTest::deleteMissingKey"]
    assert rerun.status == "failed"  # type: ignore[attr-defined]
    assert rerun.message == (  # type: ignore[attr-defined]
        "org.opentest4j.AssertionFailedError: expected: <true> but was: <false>"
    )
    assert [a.outcome for a in rerun.attempts] == ["failed"]  # type: ignore[attr-defined]
    flaky = cases["com.acme.kv.RedisKVTest::expiresKeys"]
    assert flaky.status == "flaky"  # type: ignore[attr-defined]
    assert flaky.attempts[0].stdout == "ttl=1s slept=1.001s"  # type: ignore[attr-defined]
    assert "RedisKVTest.java:88" in flaky.traceback  # type: ignore[attr-defined]


def test_gotestsum_generic_message_is_replaced_by_the_reason() -> None:
    cases = by_id(CORPUS / "gotestsum.xml")
    watch = cases["github.com/acme/platform/kv::TestWatch"]
    assert watch.message == "kv_test.go:77: watch: context deadline exceeded"  # type: ignore[attr-defined]
    assert watch.suite == "github.com/acme/platform/kv"  # type: ignore[attr-defined]


def test_jest_names_and_first_line_message() -> None:
    run = read_junit(CORPUS / "jest-junit.xml")
    ids = [f.test_id for f in run.failures]
    assert "ObjectStore get returns 404 for a missing key" in ids
    first = run.failures[ids.index("ObjectStore get returns 404 for a missing key")]
    assert first.message.startswith("Error: expect(received).toBe(expected)")
    assert [s.test_id for s in run.skipped] == ["ObjectStore multipart upload"]


def test_a_directory_reads_every_xml_file() -> None:
    run = read_junit_files([CORPUS])
    assert len(run.sources) == len(list(CORPUS.glob("*.xml"))) >= 20
    assert run.sources == sorted(run.sources)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<testsuite name="x"><testcase name="a"><failure message="&lol3;"/></testcase></testsuite>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE t [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<testsuite name="x"><testcase name="a"><failure message="&secret;"/></testcase></testsuite>
"""


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            BILLION_LAUGHS,
            "{path}: refused unsafe XML: it declares entities (entity expansion such"
            " as 'billion laughs' is not allowed)",
        ),
        (
            XXE,
            "{path}: refused unsafe XML: it declares entities (entity expansion such as"
            " 'billion laughs' is not allowed)",
        ),
        (
            '<testsuite name="x"><testcase name="a"><failure message="m">',
            "{path}:1:61: malformed JUnit XML: no element found",
        ),
        ("<testsuite><testcase></testsuite>", "{path}:1:24: malformed JUnit XML: mismatched tag"),
        ("", "{path}:1:1: malformed JUnit XML: no element found"),
        (
            "<html><body/></html>",
            "{path}: not a JUnit file: the root element is <html>, expected"
            " <testsuites> or <testsuite>",
        ),
    ],
)
def test_hostile_and_broken_xml_is_refused_naming_the_file(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(content)
    with pytest.raises(ResultsError) as info:
        read_junit(path)
    assert info.value.message == expected.format(path=path)
    assert info.value.exit_code == ExitCode.RESULTS == 6


def test_huge_files_are_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    cases = "".join(f"<testcase name='a{i:03}'/>" for i in range(1000))
    path.write_text(f"<testsuite>{cases}</testsuite>")
    with pytest.raises(ResultsError) as info:
        read_junit(path, max_bytes=10_000)
    assert info.value.message == (
        f"{path}: JUnit file is 23,023 bytes, above the 10,000-byte limit"
    )
    assert len(read_junit(path).passed) == 1000


def test_a_missing_file_and_an_empty_directory_are_results_errors(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match=r"nope.xml: no such JUnit file"):
        read_junit(tmp_path / "nope.xml")
    with pytest.raises(ResultsError, match=r"no JUnit \*\.xml files in this directory"):
        read_junit_files([tmp_path])
