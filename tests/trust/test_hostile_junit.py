"""Hostile JUnit and certificates: deep nesting is exit 6; huge failure texts are bounded."""

from __future__ import annotations

import json
from pathlib import Path

from trust_support import make_repo, omnicloud

NESTED = 50_000
HUGE = 10_000_000


def test_fifty_thousand_nested_testsuites_are_exit_6(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<?xml version="1.0"?><testsuites>'
        + '<testsuite name="s">' * NESTED
        + "</testsuite>" * NESTED
        + "</testsuites>",
        encoding="utf-8",
    )
    for argv in (["triage", "junit.xml", "--no-history", "--no-sinks"], ["merge", "junit.xml"]):
        result = omnicloud(tmp_path, *argv)
        assert result.returncode == 6, result.stdout + result.stderr
        assert "RecursionError" not in result.stderr
        assert "Traceback" not in result.stderr


def test_a_ten_megabyte_failure_text_is_bounded_in_triage_reports(tmp_path: Path) -> None:
    big = "x" * HUGE
    (tmp_path / "junit.xml").write_text(
        '<?xml version="1.0"?><testsuites><testsuite name="s" tests="1" failures="1">'
        '<testcase classname="omnicloud.toml.p:kv_store" name="t"><failure message="boom">'
        f"{big}</failure><system-out>{big}</system-out></testcase></testsuite></testsuites>",
        encoding="utf-8",
    )
    result = omnicloud(
        tmp_path, "triage", "junit.xml", "--no-history", "--no-sinks", "--exit-zero",
        "--results-dir", "out",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert any(p.name == "triage.json" for p in written)
    for path in written:
        assert path.stat().st_size < 1_000_000, path
    assert "characters cut ..." in (tmp_path / "out" / "triage" / "triage.json").read_text()


def test_a_deeply_nested_certificate_is_exit_6(tmp_path: Path) -> None:
    for name, text in (
        ("arrays.json", "[" * NESTED + "]" * NESTED),
        ("objects.json", '{"a":' * NESTED + "1" + "}" * NESTED),
    ):
        (tmp_path / name).write_text(text, encoding="utf-8")
        result = omnicloud(tmp_path, "verify-certificate", name)
        assert result.returncode == 6, result.stdout + result.stderr
        assert f"{name}: not a JSON certificate: nested too deeply" in result.stderr
        assert "Traceback" not in result.stderr


def test_a_hostile_durations_store_is_no_verdict_on_the_provider(tmp_path: Path) -> None:
    # The store comes from a CI cache. Read inside pytest, a RecursionError (or any error)
    # was pytest's INTERNALERROR, and the run exited 1 as if the provider broke its contract.
    repo = make_repo(tmp_path / "repo")
    store = repo / ".omnicloud" / "durations.json"
    store.parent.mkdir()
    for content, why in (
        (("[" * NESTED + "]" * NESTED).encode(), "nested too deeply"),
        (bytes(range(128, 256)), "not UTF-8 text"),
    ):
        store.write_bytes(content)
        result = omnicloud(repo, "certify", "--shard", "1/2")
        assert result.returncode == 5, result.stdout + result.stderr
        assert f"the durations store is not valid JSON: {why}" in result.stdout + result.stderr
        assert "RecursionError" not in result.stdout + result.stderr
        meta = json.loads((repo / "omnicloud-results" / "report.json").read_text())["meta"]
        assert meta["incomplete_reason"] == "pytest failed internally (pytest exit code 3)"
