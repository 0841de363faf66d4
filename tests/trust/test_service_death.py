"""A service that dies during a run is an infrastructure failure for the providers using it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from trust_support import KV_CONFIG, environ, make_repo

from children import spawn
from service_guard import require_binary

pytestmark = [pytest.mark.services("redis"), pytest.mark.slow]

REAL_REDIS = """
[services.redis]
recipe = "redis"

[environments.local]
provisioner = "process"

[providers.redis-kv]
contract = "kv_store"
factory = "omnicloud.providers.redis:create_kv_store"
options = { url = "{services.redis.url}", prefix = "{services.redis.prefix}" }
services = ["redis"]
"""


@pytest.fixture
def state_dir() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="omnicloud-trust-state-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _wait_for_pid(state_dir: Path, proc: subprocess.Popen[str], timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        for pid_file in state_dir.glob("runs/*/*/pid"):
            text = pid_file.read_text(encoding="utf-8").strip()
            if text:
                return int(text)
        time.sleep(0.05)
    out, err = proc.communicate(timeout=60)
    pytest.fail(f"redis never started:\n{out}\n{err}")


def test_a_service_killed_mid_run_is_exit_5_and_spares_other_providers(
    tmp_path: Path, state_dir: Path
) -> None:
    require_binary("redis-server", "redis-server")
    repo = make_repo(tmp_path / "repo", KV_CONFIG + REAL_REDIS)
    proc = spawn(
        [sys.executable, "-m", "omnicloud", "certify", "--env", "local", "-n", "0"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environ(OMNICLOUD_STATE_DIR=str(state_dir)),
    )
    pid = _wait_for_pid(state_dir, proc)
    time.sleep(1.0)  # the tests are running
    os.kill(pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 5, out + err
    assert "service 'redis' stopped answering during the run" in err
    assert "redis-kv are an infrastructure failure" in err
    report = json.loads((repo / "omnicloud-results" / "report.json").read_text())
    assert report["meta"]["services_down"] == {"redis": ["redis-kv"]}
    scratch = [t for t in report["targets"] if t["provider"] == "scratch-kv"]
    assert scratch
    assert scratch[0]["failed"] == 0
