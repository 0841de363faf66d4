"""Providers from installed packages: entry point discovery and the compliance check.

Each test installs a small distribution the way pip lays one out (a package and its
``.dist-info`` with ``entry_points.txt``) into a folder on ``PYTHONPATH`` of a subprocess, so
discovery goes through ``importlib.metadata`` exactly as for a pip-installed package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = '''
_tenants = {}


class AcmeKV:
    """Acme's key-value store."""

    omnicloud_contract = "kv_store"

    def __init__(self, tenant_id=None):
        self._data = _tenants.setdefault(tenant_id, {}) if tenant_id else {}

    async def get(self, key):
        return self._data.get(key)

    async def set(self, key, value):
        self._data[key] = value

    async def delete(self, key):
        self._data.pop(key, None)


OMNICLOUD_PROVIDER = {"contract": "kv_store", "factory": "acme_kv:AcmeKV",
                      "policies": ["multi_tenancy"], "description": "Acme KV, tenant-aware"}


class WrongSignatureKV(AcmeKV):
    async def set(self, key):
        self._data[key] = None


BAD_SIGNATURE = {"contract": "kv_store", "factory": "acme_kv:WrongSignatureKV"}
UNKNOWN_CONTRACT = {"contract": "kv_stor", "factory": "acme_kv:AcmeKV"}
NOTHING_DECLARED = {"factory": "acme_kv:AcmeKV"}


class AcmeInterfaces:
    """Acme's interface-only store (no exists: keyvalue_basic is not met)."""

    omnicloud_implements = ["keyvalue_basic"]

    async def get(self, key):
        return None

    async def set(self, key, value):
        return None

    async def delete(self, key):
        return None
'''


def install(site: Path, entry_points: dict[str, str]) -> Path:
    site.mkdir(parents=True, exist_ok=True)
    (site / "acme_kv.py").write_text(GOOD, encoding="utf-8")
    info = site / "acme_kv-1.2.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-kv\nVersion: 1.2.3\n")
    lines = "\n".join(f"{name} = {value}" for name, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[omnicloud.providers]\n{lines}\n")
    return site


def run(cwd: Path, site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "omnicloud", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def test_installed_provider_is_certified_with_no_config(tmp_path: Path, workdir: Path) -> None:
    site = install(tmp_path / "site", {"acme-kv": "acme_kv:OMNICLOUD_PROVIDER"})
    done = run(workdir, site, "certify")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((workdir / "omnicloud-results" / "report.json").read_text())
    assert report["targets"][0]["provider"] == "acme-kv"
    assert report["summary"]["failed"] == 0
    assert report["summary"]["passed"] > 6


def test_plugins_lists_metadata_and_checks_compliance(tmp_path: Path, workdir: Path) -> None:
    site = install(
        tmp_path / "site", {"acme-kv": "acme_kv:OMNICLOUD_PROVIDER", "acme-class": "acme_kv:AcmeKV"}
    )
    done = run(workdir, site, "plugins", "--check", "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: r for r in json.loads(done.stdout)}
    assert rows["acme-kv"]["distribution"] == "acme-kv"
    assert rows["acme-kv"]["version"] == "1.2.3"
    assert rows["acme-kv"]["description"] == "Acme KV, tenant-aware"
    assert rows["acme-class"]["contract"] == "kv_store"
    assert rows["acme-class"]["description"] == "Acme's key-value store."


def test_incompatible_signature_fails_before_any_test_runs(tmp_path: Path, workdir: Path) -> None:
    site = install(tmp_path / "site", {"acme-bad": "acme_kv:BAD_SIGNATURE"})
    done = run(workdir, site, "certify")
    assert done.returncode == 4
    assert (
        "plugin provider 'acme-bad' (acme_kv:BAD_SIGNATURE, from acme-kv): kv_store:"
        " 'set(self, key)' cannot take 2 positional argument(s) after self"
    ) in done.stderr
    assert not (workdir / "omnicloud-results" / "junit.xml").exists()


def test_bad_metadata_is_reported_with_its_key(tmp_path: Path, workdir: Path) -> None:
    site = install(
        tmp_path / "site",
        {"acme-typo": "acme_kv:UNKNOWN_CONTRACT", "acme-gone": "acme_kv:NOT_THERE"},
    )
    done = run(workdir, site, "plugins", "--check")
    assert done.returncode == 4
    assert "metadata key 'contract': unknown contract 'kv_stor'; did you mean 'kv_store'?" in (
        done.stdout
    )
    assert "cannot load entry point 'acme-gone = acme_kv:NOT_THERE': AttributeError" in done.stdout


def test_configuration_overrides_a_plugin_of_the_same_name(tmp_path: Path, workdir: Path) -> None:
    site = install(tmp_path / "site", {"acme-kv": "acme_kv:BAD_SIGNATURE"})
    (workdir / "omnicloud.toml").write_text(
        '[providers.acme-kv]\ncontract = "kv_store"\nfactory = "acme_kv:AcmeKV"\n'
    )
    done = run(workdir, site, "certify")
    assert done.returncode == 0, done.stdout + done.stderr


def test_interface_only_plugins_are_checked_for_their_interfaces(
    tmp_path: Path, workdir: Path
) -> None:
    site = install(
        tmp_path / "site",
        {"acme-ifaces": "acme_kv:AcmeInterfaces", "acme-empty": "acme_kv:NOTHING_DECLARED"},
    )
    done = run(workdir, site, "plugins", "--check", "--json")
    assert done.returncode == 4, done.stderr
    rows = {r["name"]: r for r in json.loads(done.stdout)}
    assert rows["acme-ifaces"]["contract"] is None
    assert rows["acme-ifaces"]["implements"] == ["keyvalue_basic"]
    assert rows["acme-ifaces"]["problems"] == [
        "keyvalue_basic: missing 'exists' (async def exists(key: str) -> bool)"
    ]
    assert rows["acme-empty"]["problems"] == [
        "declares neither 'contract' nor 'implements': nothing to certify"
    ]
