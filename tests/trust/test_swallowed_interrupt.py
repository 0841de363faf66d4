"""SIGINT landing inside library code that swallows or wraps it is still exit 130."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from trust_support import KV_CONFIG, environ, make_repo

from children import spawn

WRAPPING_PROVIDER = """
import asyncio

_tenants = {}


class WrappingKV:
    # A client library that turns every BaseException into its own error.
    def __init__(self, tenant_id=None):
        with open("instances.log", "a") as log:
            log.write("+")
        self._data = _tenants.setdefault(tenant_id, {}) if tenant_id else {}

    async def get(self, key):
        try:
            await asyncio.sleep(0.05)
        except BaseException as exc:
            raise RuntimeError("connection lost") from exc
        return self._data.get(key)

    async def set(self, key, value):
        self._data[key] = value

    async def delete(self, key):
        self._data.pop(key, None)
"""


def test_an_interrupt_a_library_wraps_is_exit_130_without_traceback(tmp_path: Path) -> None:
    config = KV_CONFIG.replace("scratchkv:ScratchKV", "scratchkv:WrappingKV")
    repo = make_repo(tmp_path / "repo", config, WRAPPING_PROVIDER)
    proc = spawn(
        [sys.executable, "-m", "omnicloud", "certify"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=environ(),
    )
    log = repo / "instances.log"
    deadline = time.monotonic() + 120
    while not (log.is_file() and len(log.read_text()) >= 4):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the tests never started"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err
    assert "interrupted by SIGINT" in err
