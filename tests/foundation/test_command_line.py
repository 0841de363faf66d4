"""The omnicloud command end to end, through its real entry point, in scratch repositories."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROVIDER = """
_tenants = {}


class ScratchKV:
    def __init__(self, tenant_id=None):
        self._data = _tenants.setdefault(tenant_id, {}) if tenant_id else {}

    async def get(self, key):
        return self._data.get(key)

    async def set(self, key, value):
        self._data[key] = value

    async def delete(self, key):
        self._data.pop(key, None)


class LeakyDeleteKV(ScratchKV):
    async def delete(self, key):
        del self._data[key]
"""

CONFIG = """
[project]
name = "scratch"

[sessions]
venv = "none"

[providers.scratch-kv]
contract = "kv_store"
factory = "scratchkv:ScratchKV"
policies = ["multi_tenancy"]
"""


def omnicloud(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "omnicloud", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "scratchkv.py").write_text(PROVIDER, encoding="utf-8")
    (tmp_path / "omnicloud.toml").write_text(CONFIG, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    return tmp_path


def test_certify_writes_junit_and_reports_and_exits_zero(repo: Path) -> None:
    result = omnicloud(repo, "certify", "--contract", "kv")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "compliant" in result.stdout
    folder = repo / "omnicloud-results"
    report = json.loads((folder / "report.json").read_text())
    assert report["summary"]["failed"] == 0
    assert report["summary"]["passed"] > 0
    assert report["targets"][0]["provider"] == "scratch-kv"
    assert (folder / "junit.xml").is_file()
    assert "| scratch-kv | kv_store |" in (folder / "report.md").read_text()


def test_buggy_provider_exits_one_and_names_the_violated_test(repo: Path) -> None:
    config = CONFIG.replace("scratchkv:ScratchKV", "scratchkv:LeakyDeleteKV")
    (repo / "omnicloud.toml").write_text(config, encoding="utf-8")
    result = omnicloud(repo, "certify")
    assert result.returncode == 1
    assert "VIOLATION" in result.stdout
    assert "test_delete_is_idempotent" in result.stdout
    markdown = (repo / "omnicloud-results" / "report.md").read_text()
    # The violated test by the node id that re-runs it: `omnicloud.toml::<provider>:<suite>::...`
    assert "`omnicloud.toml::scratch-kv:kv_store::test_delete_is_idempotent` (failed)" in markdown


def test_unimportable_factory_exits_four_before_running(repo: Path) -> None:
    (repo / "omnicloud.toml").write_text(CONFIG.replace("scratchkv:", "missingmod:"), "utf-8")
    result = omnicloud(repo, "certify")
    assert result.returncode == 4
    assert result.stderr.startswith(
        "error: providers.scratch-kv.factory: cannot import module 'missingmod'"
    )
    assert "Traceback" not in result.stderr
    assert not (repo / "omnicloud-results" / "junit.xml").exists()


def test_unknown_selection_exits_three(repo: Path) -> None:
    result = omnicloud(repo, "certify", "--provider", "scratch")
    assert result.returncode == 3
    assert "unknown provider 'scratch'; did you mean 'scratch-kv'?" in result.stderr


def test_unwritable_results_folder_exits_five_and_writes_nothing(repo: Path) -> None:
    (repo / "blocker").write_text("a file where the folder should be")
    result = omnicloud(repo, "certify", "--results-dir", "blocker/results")
    assert result.returncode == 5
    assert "results folder" in result.stderr
    assert "is not writable" in result.stderr
    assert (repo / "blocker").read_text() == "a file where the folder should be"


def test_validate_reports_one_line_plus_hint_and_exit_two(repo: Path) -> None:
    (repo / "omnicloud.toml").write_text(CONFIG.replace('"kv_store"', '"kv_stoore"'), "utf-8")
    result = omnicloud(repo, "validate")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(
        f"error: {repo / 'omnicloud.toml'}:9:1:"
        " providers.scratch-kv.contract: unknown contract 'kv_stoore'"
    )
    assert lines[1].startswith("  hint: ")


def test_schema_is_json_schema_of_the_models(repo: Path) -> None:
    result = omnicloud(repo, "schema")
    schema = json.loads(result.stdout)
    assert schema["title"] == "omnicloud.toml"
    assert {"providers", "services", "environments", "failures"} <= set(schema["properties"])
    assert "source" not in schema["properties"]


def test_list_shows_sessions_and_providers(repo: Path) -> None:
    data = json.loads(omnicloud(repo, "list", "--json").stdout)
    assert data["providers"]["scratch-kv"]["contract"] == "kv_store"
    assert {"certify", "certify-kv", "certify-scratch-kv", "affected"} <= set(data["sessions"])


def test_init_scaffolds_a_working_config_and_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "scratchkv.py").write_text(PROVIDER, encoding="utf-8")
    first = omnicloud(tmp_path, "init")
    assert first.returncode == 0
    text = (tmp_path / "omnicloud.toml").read_text()
    assert 'factory = "scratchkv:ScratchKV"' in text
    assert (tmp_path / "noxfile.py").read_text().strip().endswith("register()")
    (tmp_path / "omnicloud.toml").write_text(text + "\n# edited\n")
    again = omnicloud(tmp_path, "init")
    assert "kept existing" in again.stdout
    assert (tmp_path / "omnicloud.toml").read_text().endswith("# edited\n")
    assert omnicloud(tmp_path, "validate").returncode == 0
    certified = omnicloud(tmp_path, "certify", "--provider", "scratch-kv")
    assert certified.returncode == 0, certified.stdout + certified.stderr


def test_config_only_repository_runs_omnicloud_nox(repo: Path) -> None:
    listing = omnicloud(repo, "nox", "-l")
    assert "certify-kv" in listing.stdout
    result = omnicloud(repo, "nox", "-s", "certify-kv")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (repo / "omnicloud-results" / "junit.xml").is_file()


def test_plain_pytest_in_a_config_only_repository(repo: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=repo,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    assert " passed" in result.stdout.splitlines()[-1]


def test_provider_preflight_failure_exits_four_before_any_test(repo: Path) -> None:
    (repo / "needsclient.py").write_text(
        PROVIDER
        + "\n\ndef omnicloud_preflight():\n"
        + "    from omnicloud.errors import ProviderError\n"
        + "    raise ProviderError('the Acme client is not installed',"
        + " hint=\"pip install 'acme[client]'\")\n",
        encoding="utf-8",
    )
    (repo / "omnicloud.toml").write_text(CONFIG.replace("scratchkv:", "needsclient:"), "utf-8")
    result = omnicloud(repo, "certify")
    assert result.returncode == 4
    assert result.stderr.splitlines() == [
        "error: providers.scratch-kv.factory: the Acme client is not installed",
        "  hint: pip install 'acme[client]'",
    ]
    assert not (repo / "omnicloud-results" / "junit.xml").exists()
