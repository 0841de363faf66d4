"""omnicloud merge: shard completeness, duplicates, hostile XML, durations, failed ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omnicloud.cli import main
from omnicloud.errors import ExitCode, ResultsError
from omnicloud.merge import merge_junit
from omnicloud.shard.durations import load_durations
from omnicloud.shard.junit import case_nodeid, cases, read_junit


def junit(path: Path, shard: str | None, tests: dict[str, str], durations: str = "abc") -> Path:
    """Write a pytest-like JUnit file: tests maps node id -> outcome."""
    body = []
    for nodeid, outcome in tests.items():
        module, _, rest = nodeid.partition("::")
        classname = ".".join([module.removesuffix(".py").replace("/", "."), *rest.split("::")[:-1]])
        inner = {
            "passed": "",
            "failed": '<failure message="assert 1 == 2">t.py:3: AssertionError</failure>',
            "error": '<error message="fixture broke">boom</error>',
            "skipped": '<skipped message="later" />',
        }[outcome]
        body.append(
            f'<testcase classname="{classname}" name="{rest.split("::")[-1]}" time="1.5">'
            f'<properties><property name="omnicloud.nodeid" value="{nodeid}" /></properties>'
            f"{inner}</testcase>"
        )
    props = (
        f'<properties><property name="omnicloud.shard" value="{shard}" />'
        f'<property name="omnicloud.durations" value="{durations}" /></properties>'
        if shard
        else ""
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" time="3.0">'
        f"{props}{''.join(body)}</testsuite></testsuites>"
    )
    return path


def test_complete_shards_merge_cleanly(tmp_path: Path) -> None:
    a = junit(tmp_path / "a.xml", "1/2", {"t.py::test_a": "passed", "t.py::test_b": "failed"})
    b = junit(tmp_path / "b.xml", "2/2", {"t.py::test_c": "skipped"})
    result = merge_junit([a, b])
    assert result.problems == []
    assert result.expected == 2
    assert result.outcomes == {
        "t.py::test_a": "passed",
        "t.py::test_b": "failed",
        "t.py::test_c": "skipped",
    }
    assert result.failed_nodeids == ("t.py::test_b",)
    assert result.durations == {"t.py::test_a": 1.5, "t.py::test_b": 1.5, "t.py::test_c": 1.5}
    assert result.xml.tests == 3
    assert result.xml.failures == 1


def test_a_missing_shard_is_named(tmp_path: Path) -> None:
    a = junit(tmp_path / "a.xml", "1/3", {"t.py::a": "passed"})
    c = junit(tmp_path / "c.xml", "3/3", {"t.py::c": "passed"})
    result = merge_junit([a, c])
    assert result.missing_shards == (2,)
    assert result.problems == ["missing shard(s) 2/3: expected 3, got 2"]


def test_expect_overrides_and_catches_a_lost_last_shard(tmp_path: Path) -> None:
    a = junit(tmp_path / "a.xml", "1/2", {"t.py::a": "passed"})
    with pytest.raises(
        ResultsError, match=r"shard files disagree on the shard count \(expected 3\)"
    ):
        merge_junit([a], expect=3)


def test_a_duplicated_shard_and_its_tests_are_named(tmp_path: Path) -> None:
    a = junit(tmp_path / "a.xml", "1/2", {"t.py::a": "passed"})
    again = junit(tmp_path / "again.xml", "1/2", {"t.py::a": "passed"})
    b = junit(tmp_path / "b.xml", "2/2", {"t.py::b": "passed"})
    result = merge_junit([a, again, b])
    assert result.problems == [
        f"shard 1/2 appears 2 times: {a}, {again}",
        f"test t.py::a ran 2 times: {a}, {again}",
    ]


def test_shards_disagreeing_on_the_count_are_an_error(tmp_path: Path) -> None:
    a = junit(tmp_path / "a.xml", "1/2", {"t.py::a": "passed"})
    b = junit(tmp_path / "b.xml", "2/3", {"t.py::b": "passed"})
    with pytest.raises(ResultsError) as caught:
        merge_junit([a, b])
    assert caught.value.message == (
        f"shard files disagree on the shard count: {a} says 1/2, {b} says 2/3"
    )


def test_foreign_junit_without_properties_merges_with_a_count_check(tmp_path: Path) -> None:
    a = junit(tmp_path / "a.xml", None, {"t.py::a": "passed"})
    result = merge_junit([a], expect=2)
    assert result.missing_shards == (2,)
    assert "expected 2 shard files, got 1" in result.warnings


def test_different_durations_stores_are_flagged(tmp_path: Path) -> None:
    a = junit(tmp_path / "a.xml", "1/2", {"t.py::a": "passed"}, durations="aaa")
    b = junit(tmp_path / "b.xml", "2/2", {"t.py::b": "passed"}, durations="bbb")
    assert any("different durations stores" in w for w in merge_junit([a, b]).warnings)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<testsuites><testsuite name="&lol2;"/></testsuites>"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<testsuites><testsuite name="&secret;"/></testsuites>"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BILLION_LAUGHS, "refused unsafe XML: it declares entities"),
        (EXTERNAL, "refused unsafe XML: it declares entities"),
        ("<testsuites><testsuite>", ":3:12: malformed JUnit XML: no element found"),
        ("<html><body/></html>", "not a JUnit file: the root element is <html>"),
    ],
)
def test_hostile_or_malformed_xml_is_refused_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "evil.xml"
    path.write_text(
        text if text.startswith("<?") else text.replace("<testsuite>", "\n\n<testsuite>")
    )
    with pytest.raises(ResultsError) as caught:
        read_junit(path)
    assert caught.value.message.startswith(f"{path}")
    assert message in caught.value.message
    assert caught.value.exit_code == ExitCode.RESULTS


def test_a_bare_testsuite_root_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "one.xml"
    path.write_text('<testsuite name="x"><testcase classname="m" name="t"/></testsuite>')
    assert [c.name for _s, c in cases(read_junit(path))] == ["t"]


def test_node_ids_of_foreign_junit_are_rebuilt(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("")
    path = tmp_path / "foreign.xml"
    path.write_text(
        "<testsuites><testsuite>"
        '<testcase classname="tests.test_x.TestK" name="test_a[1]"/>'
        '<testcase classname="tests.test_x" name="test_b" file="tests/test_x.py"/>'
        '<testcase classname="gone.module" name="test_c"/>'
        "</testsuite></testsuites>"
    )
    ids = [case_nodeid(c, tmp_path) for _s, c in cases(read_junit(path))]
    assert ids == [
        "tests/test_x.py::TestK::test_a[1]",
        "tests/test_x.py::test_b",
        "gone::module::test_c",
    ]


@pytest.fixture
def shards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "OMNICLOUD_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    junit(
        tmp_path / "in" / "s1" / "junit.xml",
        "1/2",
        {"t.py::test_a": "passed", "t.py::test_b": "failed"},
    )
    junit(tmp_path / "in" / "s2" / "junit.xml", "2/2", {"t.py::test_c": "error"})
    return tmp_path


def test_cli_merges_folders_updates_durations_and_lists_failures(
    shards: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["merge", "--expect", "2", "--failed-ids", "-", "in"])
    assert code == ExitCode.VIOLATIONS
    out, err = capsys.readouterr()
    assert out.splitlines() == ["t.py::test_b", "t.py::test_c"]
    assert "merged 2 file(s): 3 tests, 1 passed, 1 failed, 1 errors, 0 skipped" in err
    assert len(list(cases(read_junit(shards / "omnicloud-results" / "junit-merged.xml")))) == 3
    report = json.loads((shards / "omnicloud-results" / "report.json").read_text())
    assert report["summary"]["total"] == 3
    assert report["meta"]["expected_shards"] == 2
    assert "Compliance (merged shards)" in err
    assert load_durations(shards / ".omnicloud" / "durations.json") == {
        "t.py::test_a": 1.5,
        "t.py::test_b": 1.5,
        "t.py::test_c": 1.5,
    }


def test_cli_refuses_to_write_an_incomplete_merge(
    shards: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (shards / "in" / "s2" / "junit.xml").unlink()
    code = main(["merge", "--expect", "2", "in"])
    assert code == ExitCode.RESULTS
    err = capsys.readouterr().err
    assert "error: missing shard(s) 2/2: expected 2, got 1" in err
    assert not (shards / "omnicloud-results").exists()
    assert not (shards / ".omnicloud").exists()
    assert main(["merge", "--allow-incomplete", "--expect", "2", "in"]) == ExitCode.RESULTS
    assert (shards / "omnicloud-results" / "junit-merged.xml").is_file()


def test_cli_names_a_missing_file(shards: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["merge", "nope.xml"]) == ExitCode.RESULTS
    assert capsys.readouterr().err.startswith("error: nope.xml: no such JUnit file")


def test_cli_uses_the_config_for_results_dir_and_durations(
    shards: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (shards / "omnicloud.toml").write_text(
        '[project]\nresults_dir = "out"\n[run]\ndurations = "timings/d.json"\n'
    )
    assert main(["merge", "in"]) == ExitCode.VIOLATIONS
    assert (shards / "out" / "junit-merged.xml").is_file()
    assert json.loads((shards / "timings" / "d.json").read_text())["version"] == 1


def test_inside_github_actions_merge_writes_the_summary_and_annotations(
    shards: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = shards / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(shards))
    assert main(["merge", "in"]) == ExitCode.VIOLATIONS
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "::error file=t.py,line=3,title=failed%3A t.py%3A%3Atest_b::assert 1 == 2",
        "::error file=t.py,title=error%3A t.py%3A%3Atest_c::fixture broke",
    ]
    text = summary.read_text()
    assert "| 3 | 1 | 1 | 1 | 0 | 2 |" in text
    assert "- `t.py::test_b` (failed): assert 1 == 2" in text
