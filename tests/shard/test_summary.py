"""GitHub job summary and annotations: limits, escaping, where annotations point."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnicloud.ci.summary import (
    MAX_ERRORS,
    Annotation,
    error_annotations,
    locate_failure,
    publish_github,
    render_summary,
)
from omnicloud.merge import FailedTest, merge_junit


def failing_junit(path: Path, count: int, message: str = "boom") -> Path:
    cases = "".join(
        f'<testcase classname="omnicloud.toml.redis-kv:kv_store" name="test_{i:03}" time="1">'
        f'<failure message="{message} {i}">trace</failure></testcase>'
        for i in range(count)
    )
    path.write_text(f"<testsuites><testsuite>{cases}</testsuite></testsuites>")
    return path


def test_annotations_stop_at_githubs_per_step_limit_with_a_notice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = merge_junit([failing_junit(tmp_path / "j.xml", 25)])
    publish_github(result, {"GITHUB_WORKSPACE": str(tmp_path)})
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("::error ") for line in lines) == MAX_ERRORS == 10
    assert lines[-1] == (
        "::notice title=omnicloud::15 more failures are listed in the job summary"
        " (GitHub shows at most 10 error annotations per step)"
    )


def test_the_summary_is_cut_within_the_limit_with_a_note(tmp_path: Path) -> None:
    result = merge_junit([failing_junit(tmp_path / "j.xml", 400, "x" * 200)])
    text = render_summary(result, limit=20_000)
    assert len(text.encode()) <= 20_000 + 200
    assert "Summary truncated at 20000 bytes (GitHub's 1 MiB limit):" in text
    listed = text.count("- `omnicloud.toml")
    assert f"{400 - listed} more failures are in the merged JUnit file" in text


def test_the_summary_is_appended_to_the_step_summary_file(tmp_path: Path) -> None:
    summary = tmp_path / "step.md"
    summary.write_text("earlier step\n")
    result = merge_junit([failing_junit(tmp_path / "j.xml", 1)])
    publish_github(result, {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(tmp_path)})
    text = summary.read_text()
    assert text.startswith("earlier step\n## omnicloud results")
    assert "- `omnicloud.toml::redis-kv:kv_store::test_000` (failed): boom 0" in text


def test_workflow_command_values_are_escaped() -> None:
    annotation = Annotation("a,b:c.py", 3, "failed: x::y", "line1\nline2 100%")
    assert annotation.command() == (
        "::error file=a%2Cb%3Ac.py,line=3,title=failed%3A x%3A%3Ay::line1%0Aline2 100%25"
    )


def failure(traceback: str, classname: str = "omnicloud.toml.redis-kv:kv_store") -> FailedTest:
    return FailedTest(
        "omnicloud.toml::redis-kv:kv_store::test_get",
        "id",
        classname,
        "failed",
        "assert None == b'v'",
        traceback,
    )


def test_the_provider_frame_in_the_repository_is_preferred(tmp_path: Path) -> None:
    trace = (
        f"{tmp_path}/src/tck_py/primitives/kv_store.py:88: in test_get\n"
        f"{tmp_path}/src/acme/kv.py:41: in get\n"
        "/usr/lib/python3/site-packages/redis/client.py:10: ConnectionError\n"
    )
    assert locate_failure(failure(trace), tmp_path, None, None) == ("src/acme/kv.py", 41)


def test_without_a_provider_frame_the_config_entry_is_annotated(tmp_path: Path) -> None:
    config = tmp_path / "omnicloud.toml"
    text = '[project]\nname = "x"\n\n[providers.redis-kv]\ncontract = "kv"\n'
    trace = f"{tmp_path}/src/tck_py/primitives/kv_store.py:88: AssertionError"
    assert locate_failure(failure(trace), tmp_path, config, text) == ("omnicloud.toml", 4)


def test_error_annotations_use_the_first_message_line(tmp_path: Path) -> None:
    path = tmp_path / "j.xml"
    path.write_text(
        "<testsuites><testsuite>"
        '<testcase classname="tests.test_a" name="test_x" file="tests/test_a.py">'
        '<error message="first&#10;second">tests/test_a.py:7: in test_x</error>'
        "</testcase></testsuite></testsuites>"
    )
    (annotation,) = error_annotations(merge_junit([path]), workspace=tmp_path)
    assert (annotation.file, annotation.line, annotation.message) == ("tests/test_a.py", 7, "first")


def test_ci_summary_command_publishes_already_merged_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from omnicloud.cli import main

    summary = tmp_path / "step.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    assert main(["ci", "summary", str(failing_junit(tmp_path / "j.xml", 2))]) == 0
    assert capsys.readouterr().out.count("::error ") == 2
    assert "### 2 failed" in summary.read_text()
