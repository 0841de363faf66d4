"""An interrupt that comes out of pytest as another exception still tears the services down.

Seen for real: SIGINT landed in an event loop's ``__del__``; pytest collected it as an
unraisable exception and, under ``filterwarnings = error``, raised its warning from
``pytest_unconfigure``, so the interrupt left ``pytest.main`` as a
``PytestUnraisableExceptionWarning``. The run skipped its teardown (redis-server left running)
and wrote no report, yet said "services torn down, report marked INCOMPLETE". Here a
``conftest.py`` raises from ``pytest_unconfigure`` to the same effect, deterministically.
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
from collections.abc import Iterator
from pathlib import Path

import pytest
from trust_support import REDIS_SECTION, environ, make_repo, service_pids

from children import spawn
from service_guard import require_binary

pytestmark = [pytest.mark.services("redis"), pytest.mark.slow]

PROVIDER = """
import asyncio

_tenants = {}


class LoggingKV:
    def __init__(self, tenant_id=None):
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


def create_kv(url, prefix="", tenant_id=None):
    return LoggingKV(tenant_id)
"""

CONFTEST = """
def pytest_unconfigure(config):
    raise RuntimeError("pytest's own error, raised after the interrupt")
"""


@pytest.fixture
def state_dir() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="omnicloud-trust-state-"))
    root.chmod(0o755)
    yield root
    for pid in service_pids(root):  # never leak into other tests, even when one fails
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(root, ignore_errors=True)


def test_an_interrupt_leaving_pytest_as_another_error_still_tears_down_and_reports(
    tmp_path: Path, state_dir: Path
) -> None:
    require_binary("redis-server", "redis-server")
    config = '[project]\nname = "scratch"\n\n[sessions]\nvenv = "none"\n' + REDIS_SECTION
    repo = make_repo(tmp_path / "repo", config, PROVIDER)
    (repo / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    proc = spawn(
        [sys.executable, "-m", "omnicloud", "certify", "--env", "local"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, signalled as a terminal does
        env=environ(OMNICLOUD_STATE_DIR=str(state_dir), PYTHONUNBUFFERED="1"),
    )
    log = repo / "instances.log"
    deadline = time.monotonic() + 120
    while not (log.is_file() and len(log.read_text()) >= 4):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the tests never started"
        time.sleep(0.02)
    assert service_pids(state_dir)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert service_pids(state_dir) == [], "a service outlived the interrupted run"
    meta = json.loads((repo / "omnicloud-results" / "report.json").read_text())["meta"]
    assert meta["status"] == "INCOMPLETE"
    assert "Traceback" not in err
