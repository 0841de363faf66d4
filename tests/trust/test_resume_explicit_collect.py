"""``certify --resume`` in a project that collects its configuration only when named.

With ``omnicloud_collect = "explicit"`` (this repository's own setting), the plugin collected
``omnicloud.toml`` only when an argument ended in ``.toml``. A resumed run names node ids
(``omnicloud.toml::<target>::<test>``), so it collected nothing: "not found" for every
unfinished test, exit 5, and the merged report said "complete" with the interrupted suite
short of the tests that never ran.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from trust_support import KV_CONFIG, environ, make_repo, omnicloud

from children import spawn

pytestmark = pytest.mark.slow

PROVIDER = """
import asyncio

_tenants = {}


class CountingKV:
    def __init__(self, tenant_id=None):
        with open("instances.log", "a") as log:  # the test waits for the suite to be running
            log.write("+")
        self._data = _tenants.setdefault(tenant_id, {}) if tenant_id else {}

    async def get(self, key):
        await asyncio.sleep(0.02)
        return self._data.get(key)

    async def set(self, key, value):
        self._data[key] = value

    async def delete(self, key):
        self._data.pop(key, None)
"""

PYPROJECT = '[tool.pytest.ini_options]\nomnicloud_collect = "explicit"\n'


def _meta(repo: Path) -> dict[str, object]:
    report = json.loads((repo / "omnicloud-results" / "report.json").read_text())
    assert isinstance(report, dict)
    return report


def test_resume_runs_the_unfinished_tests_when_collection_is_explicit(tmp_path: Path) -> None:
    config = KV_CONFIG.replace("scratchkv:ScratchKV", "scratchkv:CountingKV")
    repo = make_repo(tmp_path / "repo", config, PROVIDER)
    (repo / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    proc = spawn(
        [sys.executable, "-m", "omnicloud", "certify"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, signalled as a terminal does
        env=environ(),
    )
    log = repo / "instances.log"
    deadline = time.monotonic() + 120
    while not (log.is_file() and len(log.read_text()) >= 4):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the tests never started"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    interrupted = _meta(repo)
    assert interrupted["meta"]["status"] == "INCOMPLETE"  # type: ignore[index]
    unfinished = interrupted["meta"]["unfinished_tests"]  # type: ignore[index]
    assert unfinished
    total = interrupted["summary"]["total"] + len(unfinished)  # type: ignore[index]

    resumed = omnicloud(repo, "certify", "--resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "not found" not in resumed.stdout + resumed.stderr
    report = _meta(repo)
    assert report["meta"]["status"] == "complete"  # type: ignore[index]
    assert report["summary"]["total"] == total  # type: ignore[index]
