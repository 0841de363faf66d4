"""Through the real entry point: ``omnicloud matrix`` runs the suites via the pytest plugin.

MemStore is certified on all 45 interfaces; a provider that ignores TTLs is a false claim; one
that enumerates without claiming keyvalue_scan shows under --probe; expected failures are strict.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tck_py.interfaces.catalog import interface_names

HERE = Path(__file__).parent


def _omnicloud(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OMNICLOUD_CONFIG", "GITHUB_STEP_SUMMARY", "PYTEST_ADDOPTS")
    }
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "omnicloud", *args],
        cwd=folder,
        env=environ,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _statuses(folder: Path) -> dict[tuple[str, str], str]:
    data = json.loads((folder / "omnicloud-results" / "matrix.json").read_text(encoding="utf-8"))
    return {(c["provider"], c["row"]): c["status"] for c in data["cells"]}


def _project(tmp_path: Path, providers: str) -> Path:
    shutil.copy(HERE / "fake_providers.py", tmp_path / "fake_providers.py")
    (tmp_path / "omnicloud.toml").write_text(
        '[project]\nname = "caps"\n' + providers, encoding="utf-8"
    )
    return tmp_path


def test_memstore_is_certified_on_all_45_interfaces(tmp_path: Path) -> None:
    names = ", ".join(f'"{n}"' for n in interface_names())
    folder = _project(
        tmp_path,
        f"""
[providers.memstore]
contract = "kv_store"
factory = "omnicloud.providers.memory.memstore:MemStore"
distribution = "open-omni-cloud-tck"
implements = [{names}]
""",
    )
    summary = tmp_path / "summary.md"
    done = _omnicloud(folder, "matrix", GITHUB_STEP_SUMMARY=str(summary))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    statuses = _statuses(folder)
    assert statuses[("memstore", "contract")] == "pass"
    assert [n for n in interface_names() if statuses[("memstore", n)] != "pass"] == []
    assert "| keyvalue_ttl | ✅ pass |" in summary.read_text(encoding="utf-8")
    results = folder / "omnicloud-results"
    verified = _omnicloud(
        folder,
        "verify-certificate",
        str(results / "certificates" / "memstore.json"),
        "--junit",
        str(results / "junit.xml"),
    )
    assert verified.returncode == 0, verified.stdout
    assert "45 interfaces certified, compliant: True" in verified.stdout
    assert "statuses and test counts recomputed from the JUnit" in verified.stdout
    page = (results / "matrix.html").read_text(encoding="utf-8")
    assert page.count('class="cell s-pass"') == 45  # the interface cells
    assert 'id="headline"><span class="n">45</span>/45 interfaces PASS' in page
    assert done.stdout.rstrip().endswith(
        "45/45 interfaces PASS on at least one real backend across 1 backend"
    )


SCENARIOS = """
[providers.ttl-ignorer]
contract = "kv_store"
factory = "fake_providers:TTLIgnoringStore"
implements = ["keyvalue_basic", "keyvalue_ttl"]

[providers.lists]
contract = "kv_store"
factory = "fake_providers:NoBlockingLists"
implements = ["list_basic", "list_blocking", "set_basic"]
expected_failures.list_blocking = { kind = "notyet", reason = "blocking pops land in 2.0" }
expected_failures.set_basic = { kind = "notimpl", reason = "sets are not done" }

[providers.scanner]
contract = "kv_store"
factory = "fake_providers:ScanningKV"
implements = ["keyvalue_basic"]
"""


def _interfaces(*names: str) -> list[str]:
    return [arg for name in names for arg in ("--interface", name)]


def test_false_claims_and_strict_expected_failures(tmp_path: Path) -> None:
    folder = _project(tmp_path, SCENARIOS)
    done = _omnicloud(
        folder,
        "matrix",
        "--provider",
        "ttl-ignorer",
        "--provider",
        "lists",
        *_interfaces("keyvalue_basic", "keyvalue_ttl", "list_basic", "list_blocking", "set_basic"),
    )
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    statuses = _statuses(folder)
    assert statuses[("ttl-ignorer", "keyvalue_basic")] == "pass"
    assert statuses[("ttl-ignorer", "keyvalue_ttl")] == "false_claim"
    assert statuses[("lists", "list_basic")] == "pass"
    assert statuses[("lists", "list_blocking")] == "expected_failure"
    assert statuses[("lists", "set_basic")] == "unexpected_pass"
    assert "ttl-ignorer:keyvalue_ttl declared, but its suite fails" in done.stdout
    assert "lists:set_basic expected failure that passes: remove the entry" in done.stdout
    page = (folder / "omnicloud-results" / "matrix.html").read_text(encoding="utf-8")
    assert '<a href="#cell-ttl-ignorer-keyvalue_ttl">' in page
    assert "key still present 1.5s after a 0.3s TTL" in page
    certificate: dict[str, Any] = json.loads(
        (folder / "omnicloud-results" / "certificates" / "ttl-ignorer.json").read_text("utf-8")
    )
    assert certificate["verdict"]["problems"] == ["keyvalue_ttl"]
    assert certificate["verdict"]["compliant"] is False


def test_probe_reports_undeclared_interfaces_that_pass(tmp_path: Path) -> None:
    folder = _project(tmp_path, SCENARIOS)
    done = _omnicloud(
        folder,
        "matrix",
        "--probe",
        "--provider",
        "scanner",
        *_interfaces("keyvalue_basic", "keyvalue_scan", "keyvalue_ttl"),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    statuses = _statuses(folder)
    assert statuses[("scanner", "keyvalue_scan")] == "probe_pass"
    assert statuses[("scanner", "keyvalue_ttl")] == "not_claimed"  # probed, fails: no problem
    assert "scanner could declare keyvalue_scan (passes, not declared" in done.stdout
    assert "scanner does not implement 1 probed interface" in done.stdout
    assert "probe scanner: could declare keyvalue_scan; does not implement 1" in done.stdout
    assert "VIOLATION" not in done.stdout
    assert "violated test" not in done.stdout
    data = json.loads((folder / "omnicloud-results" / "matrix.json").read_text("utf-8"))
    assert data["declare"] == ["scanner:keyvalue_scan"]
    assert data["not_implemented"] == ["scanner:keyvalue_ttl"]


def test_missing_methods_are_reported_before_any_test_runs(tmp_path: Path) -> None:
    folder = _project(
        tmp_path,
        """
[providers.half]
contract = "kv_store"
factory = "fake_providers:HalfTTL"
implements = ["keyvalue_basic", "keyvalue_ttl"]
""",
    )
    done = _omnicloud(folder, "matrix")
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stderr.startswith(
        "error: providers.half.implements: HalfTTL does not have the methods of the interfaces"
        " it declares (4 problems): keyvalue_ttl: 'set_with_ttl' lacks parameter 'ttl'"
    )
    assert "keyvalue_ttl: missing 'expire' (async def expire(key: str, ttl: float) -> bool)" in (
        done.stderr
    )
    assert not (folder / "omnicloud-results" / "junit.xml").exists()
