"""End to end: a corpus from four tools is classified, routed and remembered as configured."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import git
import pytest

from omnicloud.cli import main
from omnicloud.config import load_config
from omnicloud.errors import ConfigError
from omnicloud.triage.model import ClassifiedFailure, TriageReport
from omnicloud.triage.run import triage_exit_code, triage_results

CORPUS = Path(__file__).parent / "corpus"
#: The four files these tests were written against (the corpus also holds every tool's shapes).
ORIGINAL = [
    CORPUS / name
    for name in (
        "gotestsum.xml",
        "jest-junit.xml",
        "pytest-omnicloud.xml",
        "surefire-TEST-com.acme.kv.RedisKVTest.xml",
    )
]
CONFIG = """\
[project]
name = "acme"
default_owner = "qa-team"

[services.redis]
command = ["redis-server", "--port", "{port}"]
port = 6390

[providers.memory-kv]
contract = "kv_store"
factory = "omnicloud.providers.memory.kv:InMemoryKVStore"
owners = ["kv-team"]

[providers.redis-kv]
contract = "kv_store"
factory = "acme.kv.redis_store:RedisKV"
services = ["redis"]
owners = ["storage-team"]

[providers.sqlite-kv]
contract = "kv_store"
factory = "acme.kv.sqlite_store:SqliteKV"

[[failures.categories]]
name = "infrastructure"
message = ["Connection refused", "ConnectionError"]
traceback = ["ConnectionRefusedError"]
route = "platform-team"
suggestion = "Is {service} up for {provider}? See {log_path}"

[[failures.categories]]
name = "redis timeout"
message = ["TimeoutError"]
provider = ["^redis-"]
match = "all"
precedence = 10
suggestion = "{provider} timed out; check {service} ({log_path}); owners {owners}"

[[failures.categories]]
name = "tenancy"
capability = ["^multi_tenancy$"]
marker = ["^tenancy$"]
match = "all"
route = "security-team"

[[failures.categories]]
name = "go services"
test_id = ['^github\\.com/acme/platform/queue::']
precedence = 1
route = "messaging-team"
"""
CODEOWNERS = """\
# the KV store implementations
/acme/kv/ @kv-maintainers
/acme/kv/sqlite_store.py @db-team
"""
DELETE = "omnicloud.toml.memory-kv:kv_store::test_delete_missing_key_is_a_no_op"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git repository with omnicloud.toml, CODEOWNERS and the providers' source files."""
    root = tmp_path / "repo"
    (root / ".github").mkdir(parents=True)
    (root / "omnicloud.toml").write_text(CONFIG)
    (root / ".github" / "CODEOWNERS").write_text(CODEOWNERS)
    for name in ("acme/__init__.py", "acme/kv/__init__.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("raise RuntimeError('routing must not import providers')\n")
    (root / "acme/kv/redis_store.py").write_text("class RedisKV: ...\n")
    (root / "acme/kv/sqlite_store.py").write_text("class SqliteKV: ...\n")
    with git.Repo.init(root) as repo:  # closing it stops its `git cat-file` helpers
        repo.index.add(["omnicloud.toml", ".github/CODEOWNERS"])
        repo.index.commit("initial")
    return root


def run_triage(project: Path, junit: list[Path], run_id: str) -> TriageReport:
    config = load_config(project / "omnicloud.toml")
    return triage_results(
        config,
        junit,
        project / "results",
        run_id=run_id,
        service_logs={"redis": "/var/log/redis-6390.log"},
    )


def by_id(report: TriageReport) -> dict[str, ClassifiedFailure]:
    return {item.failure.test_id: item for item in report.failures}


def test_corpus_is_classified_routed_and_explained_as_configured(project: Path) -> None:
    report = run_triage(project, ORIGINAL, "run-1")
    items = by_id(report)
    expected = {
        DELETE: ("contract violation", ("kv-team",), "provider"),
        "omnicloud.toml.redis-kv:kv_store::test_set_then_get": (
            "redis timeout",
            ("storage-team",),
            "provider",
        ),
        "omnicloud.toml.redis-kv:kv_store::test_scan_prefix": (
            "infrastructure",
            ("platform-team",),
            "category",
        ),
        "omnicloud.toml.sqlite-kv:kv_store::test_scan_returns_all_keys": (
            "not implemented",
            ("@db-team",),
            "codeowners",
        ),
        "omnicloud.toml.sqlite-kv:kv_store::test_tenant_isolation": (
            "tenancy",
            ("security-team",),
            "category",
        ),
        "com.acme.kv.RedisKVTest::connectsToCluster": ("unclassified", ("qa-team",), "default"),
        "com.acme.kv.RedisKVTest::expiresKeys": ("flaky", ("qa-team",), "default"),
        "ObjectStore list pages through buckets": ("timeout", ("qa-team",), "default"),
        "github.com/acme/platform/queue::TestPublish": (
            "go services",
            ("messaging-team",),
            "category",
        ),
        "github.com/acme/platform/kv::TestWatch": ("timeout", ("qa-team",), "default"),
    }
    for test_id, (category, owners, source) in expected.items():
        item = items[test_id]
        assert (item.category, item.owners, item.owner_source) == (category, owners, source), (
            test_id
        )
    assert "acme" not in sys.modules  # CODEOWNERS routing located the file without importing it

    timeout = items["omnicloud.toml.redis-kv:kv_store::test_set_then_get"]
    assert timeout.rule == "failures.categories.1.message.0"
    assert [e.text for e in timeout.evidence] == ["TimeoutError", "redis-"]
    assert timeout.suggestion == (
        "redis-kv timed out; check redis (/var/log/redis-6390.log); owners storage-team"
    )
    infra = items["omnicloud.toml.redis-kv:kv_store::test_scan_prefix"]
    assert infra.evidence[0].text == "Connection refused"
    assert infra.suggestion == "Is redis up for redis-kv? See /var/log/redis-6390.log"
    tenancy = items["omnicloud.toml.sqlite-kv:kv_store::test_tenant_isolation"]
    assert [(e.field, e.text) for e in tenancy.evidence] == [
        ("capability", "multi_tenancy"),
        ("marker", "tenancy"),
    ]
    publish = items["github.com/acme/platform/queue::TestPublish"]
    assert publish.rule == "failures.categories.3.test_id.0"
    assert items["ObjectStore list pages through buckets"].evidence[0].text == (
        "Exceeded timeout of 5000 ms"
    )
    assert {item.history for item in report.failures} == {"new"}
    assert triage_exit_code(report) == 1


def test_reports_are_written_per_owner(project: Path) -> None:
    report = run_triage(project, ORIGINAL, "run-1")
    out = project / "results" / "triage"
    data = json.loads((out / "triage.json").read_text())
    assert data["run_id"] == "run-1"
    assert data["summary"]["total"] == 14
    owners = sorted(p.name for p in (out / "owners").iterdir())
    assert "db-team.md" in owners
    assert "platform-team.json" in owners
    platform = json.loads((out / "owners" / "platform-team.json").read_text())
    assert [f["failure"]["test_id"] for f in platform["failures"]] == [
        "omnicloud.toml.redis-kv:kv_store::test_scan_prefix"
    ]
    markdown = (out / "owners" / "security-team.md").read_text()
    assert "test_tenant_isolation" in markdown
    assert "category: **tenancy**" in markdown
    assert str(out / "triage.md") in report.written


def passing_delete(tmp_path: Path) -> Path:
    text = (CORPUS / "pytest-omnicloud.xml").read_text()
    text = re.sub(
        r'<testcase classname="omnicloud.toml.memory-kv:kv_store" '
        r'name="test_delete_missing_key_is_a_no_op".*?</testcase>',
        '<testcase classname="omnicloud.toml.memory-kv:kv_store" '
        'name="test_delete_missing_key_is_a_no_op" time="0.001" />',
        text,
        flags=re.S,
    )
    path = tmp_path / "fixed" / "pytest-omnicloud.xml"
    path.parent.mkdir()
    path.write_text(text)
    return path


def test_second_run_marks_recurring_and_fixed_then_a_regression(
    project: Path, tmp_path: Path
) -> None:
    with git.Repo(project) as repo:
        first_commit = repo.head.commit.hexsha
        run_triage(project, [CORPUS / "pytest-omnicloud.xml"], "run-1")
        (project / "README.md").write_text("next\n")
        repo.index.add(["README.md"])
        repo.index.commit("second")

    second = run_triage(project, [passing_delete(tmp_path)], "run-2")
    items = by_id(second)
    assert DELETE not in items
    assert [(f.test_id, f.last_failed_run, f.category) for f in second.fixed] == [
        (DELETE, "run-1", "contract violation")
    ]
    recurring = items["omnicloud.toml.redis-kv:kv_store::test_set_then_get"]
    assert (recurring.history, recurring.first_seen_run, recurring.first_seen_commit) == (
        "recurring",
        "run-1",
        first_commit,
    )
    assert "Fixed since the previous run" in (project / "results/triage/triage.md").read_text()

    third = run_triage(project, [CORPUS / "pytest-omnicloud.xml"], "run-3")
    regressed = by_id(third)[DELETE]
    assert (regressed.history, regressed.first_seen_run, regressed.first_seen_commit) == (
        "regressed",
        "run-1",
        first_commit,
    )
    assert by_id(third)["omnicloud.toml.redis-kv:kv_store::test_set_then_get"].history == (
        "recurring"
    )


def test_flakiness_rate_per_test(project: Path) -> None:
    surefire = CORPUS / "surefire-TEST-com.acme.kv.RedisKVTest.xml"
    run_triage(project, [surefire], "run-1")
    report = run_triage(project, [surefire], "run-2")
    assert report.flakiness == {"com.acme.kv.RedisKVTest::expiresKeys": 1.0}


def test_cli_triages_any_junit_without_a_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OMNICLOUD_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    shutil.copy(CORPUS / "gotestsum.xml", tmp_path / "go.xml")
    code = main(["triage", "go.xml", "--json", "--run-id", "r1", "--markdown", "md"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert {f["failure"]["test_id"]: f["category"] for f in data["failures"]} == {
        "github.com/acme/platform/kv::TestDelete/missing_key": "contract violation",
        "github.com/acme/platform/kv::TestWatch": "timeout",
        "github.com/acme/platform/queue::TestPublish": "infrastructure",
    }
    assert data["owners"] == ["unowned"]
    assert (tmp_path / "md" / "owners" / "unowned.md").is_file()
    assert (tmp_path / "omnicloud-results" / "triage" / "triage.json").is_file()
    assert (tmp_path / ".omnicloud" / "history.sqlite").is_file()


def test_cli_reads_the_config_and_reports_bad_junit_with_exit_6(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(project / "omnicloud.toml")
    assert (
        main(
            [
                "triage",
                "--config",
                config,
                str(CORPUS / "jest-junit.xml"),
                "--no-history",
                "--exit-zero",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "qa-team: 2" in out
    bad = tmp_path / "bad.xml"
    bad.write_text("<testsuite>")
    assert main(["triage", "--config", config, str(bad), "--no-history"]) == 6
    assert f"error: {bad}:1:12: malformed JUnit XML: no element found" in capsys.readouterr().err


def test_invalid_category_regex_is_a_config_error_with_location_and_key(tmp_path: Path) -> None:
    path = tmp_path / "omnicloud.toml"
    path.write_text(
        '[[failures.categories]]\nname = "infra"\nmessage = ["ok", "Connection (refused"]\n'
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.message == (
        f"{path}:3:1: failures.categories.0.message.1: invalid regular expression"
        " 'Connection (refused': missing ), unterminated subpattern at position 11"
    )
    assert info.value.exit_code == 2
    path.write_text(
        '[[failures.categories]]\nname = "x"\nstatus = ["failed"]\nsuggestion = "see {sevice}"\n'
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.message.startswith(
        f"{path}:4:1: failures.categories.0.suggestion: unknown placeholder '{{sevice}}'; did"
        " you mean 'service'?"
    )


def test_cli_defaults_to_the_results_folder(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(project / "omnicloud.toml")
    assert main(["triage", "--config", config, "--no-history"]) == 6
    assert "no JUnit files given and none in the results folder" in capsys.readouterr().err
    (project / "omnicloud-results").mkdir()
    shutil.copy(CORPUS / "gotestsum.xml", project / "omnicloud-results" / "junit-shard-1-of-2.xml")
    shutil.copy(CORPUS / "jest-junit.xml", project / "omnicloud-results" / "junit-merged.xml")
    assert main(["triage", "--config", config, "--no-history", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["total"] == 2
    assert (project / "omnicloud-results" / "triage" / "owners" / "qa-team.md").is_file()
