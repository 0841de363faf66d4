"""Interrupts through the real entry points, signals sent to the whole process group as a
terminal does: services never leak, the report says INCOMPLETE, ``--resume`` finishes the run.

Every child is started with ``start_new_session=True`` (its own process group) so that
``os.killpg`` reaches omnicloud, nox and the services together, as Ctrl-C in a terminal does;
nox started as a background job of a non-interactive shell would ignore SIGINT instead.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from trust_support import KV_CONFIG, environ, make_repo, service_pids

from children import processes_in, spawn
from service_guard import require_binary

pytestmark = [pytest.mark.services("redis"), pytest.mark.slow]

SLOW_PROVIDER_CONFIG = (
    KV_CONFIG.replace("scratchkv:ScratchKV", "scratchkv:SlowKV").replace(
        'policies = ["multi_tenancy"]', 'policies = ["multi_tenancy"]\nservices = ["redis"]'
    )
    + """
[services.redis]
recipe = "redis"

[environments.local]
provisioner = "process"

[providers.scratch-kv.options]
url = "{services.redis.url}"
"""
)
SLOW_PROVIDER = """
import asyncio

_tenants = {}


class SlowKV:
    def __init__(self, url=None, tenant_id=None):
        assert url and url.startswith("redis://"), url  # the service was provisioned
        with open("instances.log", "a") as log:  # the test waits for the suite to be running
            log.write("+")
        self._data = _tenants.setdefault(tenant_id, {}) if tenant_id else {}

    async def get(self, key):
        await asyncio.sleep(0.03)
        return self._data.get(key)

    async def set(self, key, value):
        self._data[key] = value

    async def delete(self, key):
        self._data.pop(key, None)
"""


@pytest.fixture
def state_dir() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="omnicloud-trust-state-"))
    root.chmod(0o755)
    yield root
    for pid in service_pids(root):  # never leak into other tests, even when one fails
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    require_binary("redis-server", "redis-server")
    return make_repo(tmp_path / "repo", SLOW_PROVIDER_CONFIG, SLOW_PROVIDER)


def _wait_for(predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _start(repo: Path, state_dir: Path, *argv: str) -> subprocess.Popen[str]:
    return spawn(
        list(argv),
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=environ(OMNICLOUD_STATE_DIR=str(state_dir), PYTHONUNBUFFERED="1"),
    )


def _certify(repo: Path, state_dir: Path, *args: str) -> subprocess.Popen[str]:
    return _start(
        repo, state_dir, sys.executable, "-m", "omnicloud", "certify", "--env", "local", *args
    )


def _tests_running(proc: subprocess.Popen[str], state_dir: Path, repo: Path) -> None:
    """Wait until a few tests have made providers: well inside a suite of 40 tests."""
    log = repo / "instances.log"
    log.unlink(missing_ok=True)

    def started() -> bool:
        return proc.poll() is not None or (log.is_file() and len(log.read_text()) >= 4)

    _wait_for(started, "the tests to start", 120)
    assert service_pids(state_dir)
    assert proc.poll() is None, proc.communicate()


def _report(repo: Path) -> dict[str, object]:
    meta = json.loads((repo / "omnicloud-results" / "report.json").read_text())["meta"]
    assert isinstance(meta, dict)
    return meta


def test_ctrl_c_to_the_process_group_tears_down_and_resume_finishes_the_run(
    repo: Path, state_dir: Path
) -> None:
    proc = _certify(repo, state_dir)
    _tests_running(proc, state_dir, repo)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err
    assert service_pids(state_dir) == []
    assert processes_in(state_dir) == []
    table = out.split("Compliance (scratch)", 1)[1]
    assert "INCOMPLETE" in table
    assert "compliant" not in table  # a suite that did not finish is never called compliant
    meta = _report(repo)
    assert meta["status"] == "INCOMPLETE"
    assert meta["incomplete_reason"] == "interrupted by SIGINT"
    assert meta["unfinished_targets"] == ["scratch-kv:kv_store"]
    unfinished = meta["unfinished_tests"]
    assert isinstance(unfinished, list)
    assert unfinished
    assert "**INCOMPLETE**" in (repo / "omnicloud-results" / "report.md").read_text()

    resumed = _certify(repo, state_dir, "--resume")
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, out + err
    assert f"{len(unfinished)} passed" in out  # exactly what did not finish ran
    report = json.loads((repo / "omnicloud-results" / "report.json").read_text())
    assert report["meta"]["status"] == "complete"
    assert report["summary"]["passed"] == 40  # merged with what the first run finished
    again = _certify(repo, state_dir, "--resume")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 3, out + err
    assert "nothing to resume" in err


def test_an_interrupted_run_never_leaves_the_previous_report_beside_its_junit(
    repo: Path, state_dir: Path
) -> None:
    first = _certify(repo, state_dir, "--", "-k", "delete")
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    assert _report(repo)["status"] == "complete"
    proc = _certify(repo, state_dir)
    _tests_running(proc, state_dir, repo)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)  # a second SIGTERM during teardown does not abort it
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err
    assert service_pids(state_dir) == []
    meta = _report(repo)
    assert meta["status"] == "INCOMPLETE"
    assert meta["incomplete_reason"] == "interrupted by SIGTERM"
    assert not list((repo / "omnicloud-results").glob(".run-*"))


def test_killing_nox_alone_makes_omnicloud_tear_down(repo: Path, state_dir: Path) -> None:
    proc = _start(
        repo,
        state_dir,
        sys.executable,
        "-m",
        "omnicloud",
        "nox",
        "-s",
        "certify-kv",
        "--",
        "--env",
        "local",
    )
    _tests_running(proc, state_dir, repo)
    services = service_pids(state_dir)
    os.kill(proc.pid, signal.SIGKILL)  # nox alone: omnicloud is orphaned
    proc.communicate(timeout=60)
    _wait_for(lambda: service_pids(state_dir) == [], "the orphaned run to stop redis", 60)
    _wait_for(lambda: processes_in(state_dir) == [], "every process of the run to end", 60)
    assert services


def test_ctrl_c_through_nox_leaks_no_service(repo: Path, state_dir: Path) -> None:
    proc = _start(
        repo,
        state_dir,
        sys.executable,
        "-m",
        "omnicloud",
        "nox",
        "-s",
        "certify-kv",
        "--",
        "--env",
        "local",
    )
    _tests_running(proc, state_dir, repo)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0, out + err
    assert service_pids(state_dir) == [], out + err
    assert "interrupted by SIGINT" in out + err
    assert _report(repo)["status"] == "INCOMPLETE"


def test_a_second_run_in_the_same_results_folder_is_refused(repo: Path, state_dir: Path) -> None:
    proc = _certify(repo, state_dir)
    _tests_running(proc, state_dir, repo)
    try:
        second = _certify(repo, state_dir, "--no-strict")
        out, err = second.communicate(timeout=120)
        assert second.returncode == 5, out + err
        assert "is in use by another omnicloud run (pid" in err
        assert "--results-dir" in err
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.communicate(timeout=120)
