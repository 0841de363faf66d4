"""Interface-only providers: ``implements`` without a ``contract``, as RFC-015's registry lists
backends. Config, plan, sessions and selection cope with them; certify runs exactly what they
declare; shapes are checked before any test; they are certified end to end through nox."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from omnicloud.affected.gather import suite_sources
from omnicloud.config import load_config
from omnicloud.config.models import Config, ProviderConfig
from omnicloud.errors import ConfigError, ExitCode
from omnicloud.plan import Selection, plan_sessions, plan_targets

HERE = Path(__file__).parent

INTERFACE_ONLY = """
[providers.scanner]
factory = "fake_providers:ScanningKV"
implements = ["keyvalue_basic", "keyvalue_scan"]
"""


def _config(**providers: dict[str, object]) -> Config:
    return Config.model_validate({"providers": providers})


def _load(tmp_path: Path, body: str) -> Config:
    path = tmp_path / "omnicloud.toml"
    path.write_text('[project]\nname = "caps"\n' + body, encoding="utf-8")
    return load_config(path)


def _config_error(tmp_path: Path, body: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, body)
    assert info.value.exit_code == ExitCode.CONFIG == 2
    return info.value


# ------------------------------------------------------------------------------ configuration
def test_contract_is_optional_when_interfaces_are_declared(tmp_path: Path) -> None:
    config = _load(tmp_path, INTERFACE_ONLY)
    assert config.providers["scanner"].contract is None
    assert config.contracts_in_use() == []


def test_a_provider_with_neither_contract_nor_interfaces_is_a_config_error(
    tmp_path: Path,
) -> None:
    error = _config_error(tmp_path, '[providers.empty]\nfactory = "fake_providers:ScanningKV"\n')
    assert error.message.startswith(
        f"{tmp_path / 'omnicloud.toml'}:3:2: providers.empty: declares neither 'contract' nor"
        " 'implements'"
    )


def test_policies_need_a_contract(tmp_path: Path) -> None:
    error = _config_error(tmp_path, INTERFACE_ONLY + 'policies = ["multi_tenancy"]\n')
    assert "providers.scanner.policies: policies mix into the contract suite" in error.message


# ------------------------------------------------------------------------------------ planning
def test_only_the_declared_interfaces_are_planned() -> None:
    config = _config(
        redis={"factory": "m:f", "implements": ["keyvalue_basic", "keyvalue_ttl"]},
        kv={"contract": "kv", "factory": "m:g", "implements": ["keyvalue_basic"]},
    )
    targets = plan_targets(config, Selection())
    assert [(t.provider, t.suite, t.kind, t.contract) for t in targets] == [
        ("redis", "keyvalue_basic", "interface", ""),
        ("redis", "keyvalue_ttl", "interface", ""),
        ("kv", "kv_store", "contract", "kv_store"),
        ("kv", "keyvalue_basic", "interface", "kv_store"),
    ]
    probed = plan_targets(config, Selection(providers=("redis",), probe=True))
    assert len(probed) == 45
    assert {t.suite for t in probed if not t.probe} == {"keyvalue_basic", "keyvalue_ttl"}
    assert all(t.kind == "interface" for t in probed)


def test_contract_selection_leaves_interface_only_providers_out() -> None:
    config = _config(
        redis={"factory": "m:f", "implements": ["keyvalue_basic"]},
        kv={"contract": "kv", "factory": "m:g"},
    )
    assert {t.provider for t in plan_targets(config, Selection(contracts=("kv",)))} == {"kv"}
    only = plan_targets(config, Selection(interfaces=("keyvalue_basic",)))
    assert [t.node_name for t in only] == ["redis:keyvalue_basic"]


def test_sessions_of_interface_only_providers() -> None:
    config = _config(
        redis={"factory": "m:f", "implements": ["keyvalue_basic", "keyvalue_ttl"]},
        one={"factory": "m:f", "implements": ["keyvalue_basic"]},
        kv={"contract": "kv", "factory": "m:g", "implements": ["keyvalue_basic"]},
    )
    sessions = {s.name: s for s in plan_sessions(config)}
    assert "certify-kv" in sessions  # the contract session still exists
    redis = sessions["certify-redis"]
    assert redis.description == "Certify provider redis (2 interfaces)"
    assert redis.argv == ("certify", "--provider", "redis")
    assert redis.tags == ("certify", "provider", "interfaces")
    assert sessions["certify-one"].description == "Certify provider one (1 interface)"
    assert sessions["certify-provider-kv"].description == (
        "Certify provider kv (kv_store + 1 interface)"
    )


def test_affected_selection_reads_the_interface_suites_alone() -> None:
    config = _config(redis={"factory": "m:f", "implements": ["keyvalue_ttl"]})
    labels = [s.label for s in suite_sources(config)["redis"]]
    assert labels == ["interface keyvalue_ttl suite", "interface adapter"]


def test_provider_model_reference_flag_defaults_off() -> None:
    provider = ProviderConfig.model_validate({"factory": "m:f", "implements": ["set_basic"]})
    assert provider.reference is False


# --------------------------------------------------------------------- through the entry point
def _omnicloud(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OMNICLOUD_CONFIG", "OMNICLOUD_ENV", "GITHUB_STEP_SUMMARY", "PYTEST_ADDOPTS")
    }
    return subprocess.run(
        [sys.executable, "-m", "omnicloud", *args],
        cwd=folder,
        env=environ,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _scratch(tmp_path: Path, providers: str) -> Path:
    shutil.copy(HERE / "fake_providers.py", tmp_path / "fake_providers.py")
    (tmp_path / "omnicloud.toml").write_text(
        '[project]\nname = "scratch"\n\n[sessions]\nvenv = "none"\n' + providers,
        encoding="utf-8",
    )
    return tmp_path


@pytest.mark.slow
def test_interface_only_provider_is_certified_through_nox_and_verifies(tmp_path: Path) -> None:
    folder = _scratch(tmp_path, INTERFACE_ONLY)
    listing = _omnicloud(folder, "nox", "-l")
    assert "certify-scanner" in listing.stdout, listing.stdout + listing.stderr
    done = _omnicloud(folder, "nox", "-s", "certify-scanner")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((folder / "omnicloud-results" / "report.json").read_text("utf-8"))
    suites = {(t["provider"], t["suite"]) for t in report["targets"]}
    assert suites == {("scanner", "keyvalue_basic"), ("scanner", "keyvalue_scan")}
    assert report["summary"]["passed"] > 0
    assert report["summary"]["failed"] == 0
    # the certificate, from the same JUnit: no contract, both interfaces certified
    results = folder / "omnicloud-results"
    matrix = _omnicloud(folder, "matrix", "--junit", str(results / "junit.xml"))
    assert matrix.returncode == 0, matrix.stdout[-3000:] + matrix.stderr[-3000:]
    certificate = json.loads((results / "certificates" / "scanner.json").read_text("utf-8"))
    assert certificate["contract"] is None
    assert certificate["verdict"]["certified"] == ["keyvalue_basic", "keyvalue_scan"]
    assert certificate["verdict"]["compliant"] is True
    verified = _omnicloud(
        folder,
        "verify-certificate",
        str(results / "certificates" / "scanner.json"),
        "--junit",
        str(results / "junit.xml"),
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_unannotated_factory_missing_methods_exits_four_before_any_test(tmp_path: Path) -> None:
    folder = _scratch(
        tmp_path,
        """
[providers.half]
factory = "fake_providers:create_half_ttl"
implements = ["keyvalue_basic", "keyvalue_ttl"]
""",
    )
    done = _omnicloud(folder, "certify")
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stderr.startswith(
        "error: providers.half.implements: HalfTTL does not have the methods of the interfaces"
        " it declares (4 problems): keyvalue_ttl: 'set_with_ttl' lacks parameter 'ttl'"
    )
    assert "keyvalue_ttl: missing 'expire'" in done.stderr
    assert not (folder / "omnicloud-results" / "junit.xml").exists()


@pytest.mark.slow
def test_matrix_takes_the_environment_from_omnicloud_env(tmp_path: Path) -> None:
    folder = _scratch(
        tmp_path,
        INTERFACE_ONLY.replace(
            "[providers.scanner]", "[providers.scanner]\nenvironments = ['local']"
        )
        + '\n[environments.local]\nprovisioner = "embedded"\n',
    )
    environ = {
        k: v for k, v in os.environ.items() if k not in ("OMNICLOUD_CONFIG", "PYTEST_ADDOPTS")
    }
    done = subprocess.run(
        [sys.executable, "-m", "omnicloud", "matrix"],
        cwd=folder,
        env={**environ, "OMNICLOUD_ENV": "local"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " ".join(done.stdout.split()).endswith(
        "2/45 interfaces PASS on at least one real backend across 1 backend"
    )
    results = folder / "omnicloud-results"
    assert json.loads((results / "matrix.json").read_text("utf-8"))["meta"]["environment"] == (
        "local"
    )
    certificate = json.loads((results / "certificates" / "scanner.json").read_text("utf-8"))
    assert certificate["environment"]["name"] == "local"


@pytest.mark.slow
def test_certify_probe_failures_are_no_verdict(tmp_path: Path) -> None:
    folder = _scratch(tmp_path, INTERFACE_ONLY)
    done = _omnicloud(folder, "certify", "--probe", "--interface", "keyvalue_ttl")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "probe scanner: could declare nothing more; does not implement 1" in done.stdout
    assert "VIOLATION" not in done.stdout
    assert "violated" not in done.stdout
    assert "failure(s)" not in done.stdout  # nothing triaged, routed or recorded as history
    triage = json.loads(
        (folder / "omnicloud-results" / "triage" / "triage.json").read_text("utf-8")
    )
    assert triage["failures"] == []
    report = (folder / "omnicloud-results" / "report.md").read_text("utf-8")
    assert "| scanner | keyvalue_ttl |" in report
    assert "does not implement (probe)" in report
    assert "VIOLATION" not in report


@pytest.mark.slow
def test_matrix_leaves_providers_that_sit_out_unimported(tmp_path: Path) -> None:
    folder = _scratch(
        tmp_path,
        INTERFACE_ONLY.replace('"keyvalue_scan"]', "]")
        + """
[providers.elsewhere]
factory = "client_not_installed:create_store"
implements = ["keyvalue_basic"]
environments = ["local"]

[environments.local]
provisioner = "embedded"
""",
    )
    done = _omnicloud(folder, "matrix")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "note: provider elsewhere sits out this run" in done.stdout
