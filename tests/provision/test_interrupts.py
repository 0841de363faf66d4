"""Ctrl-C and SIGTERM during provisioning and during a run leave nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from provision_support import port_open

from children import processes_in, spawn
from service_guard import require_binary

pytestmark = [pytest.mark.services("redis", "postgres"), pytest.mark.slow]

CONFIG = """
[project]
default_environment = "local"
[services.redis]
recipe = "redis"
[services.postgres]
recipe = "postgres"
[environments.local]
provisioner = "process"
"""

_SCRIPT = """
import sys, time
from omnicloud.config import load_config
from omnicloud.provision.lifecycle import provision
try:
    with provision(load_config(sys.argv[1])) as env:
        print(env.endpoints_file, flush=True)
        time.sleep(120)
except KeyboardInterrupt:
    sys.exit(130)
"""


def _wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("the condition was not reached in time")
        time.sleep(0.01)


def _start(tmp_path: Path, script: str, *args: str) -> subprocess.Popen[str]:
    config = tmp_path / "omnicloud.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return spawn(
        [sys.executable, "-c", script, str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )


def _assert_nothing_left(state_dir: Path, ports: list[int]) -> None:
    assert processes_in(state_dir) == []
    assert list((state_dir / "runs").iterdir()) == []
    for port in ports:
        assert not port_open("127.0.0.1", port)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_provisioning_stops_what_had_started(
    sig: signal.Signals, tmp_path: Path, state_dir: Path
) -> None:
    require_binary("redis-server", "redis-server")
    require_binary("initdb", "postgresql")
    proc = _start(tmp_path, _SCRIPT)
    # redis is up and postgres is being initialised: a half-finished start
    _wait_for(lambda: any((state_dir / "runs").glob("*/postgres/service.log")))
    redis_pid = next((state_dir / "runs").glob("*/redis/pid")).read_text()
    assert processes_in(state_dir), "redis should be running at this point"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    _assert_nothing_left(state_dir, [])
    assert not Path(f"/proc/{redis_pid}").exists() or processes_in(state_dir) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_the_run_tears_everything_down(
    sig: signal.Signals, tmp_path: Path, state_dir: Path
) -> None:
    require_binary("redis-server", "redis-server")
    require_binary("initdb", "postgresql")
    proc = _start(tmp_path, _SCRIPT)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line:
        pytest.fail(f"provisioning failed: {proc.communicate(timeout=30)[1]}")
    endpoints = json.loads(Path(line).read_text())
    ports = [ep["port"] for ep in endpoints.values()]
    assert all(port_open("127.0.0.1", p) for p in ports)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    _assert_nothing_left(state_dir, ports)


_TEST_MODULE = """
import os, time
from pathlib import Path

def test_slow(omnicloud_endpoints):
    Path(os.environ["MARK"]).write_text(str(omnicloud_endpoints["redis"]["port"]))
    time.sleep(120)
"""

PYTEST_CONFIG = (
    CONFIG
    + """
[providers.redis-kv]
contract = "kv_store"
factory = "omnicloud.providers.redis:create_kv_store"
options = { url = "{services.redis.url}" }
services = ["redis"]
"""
)


def _outer_env() -> dict[str, str]:
    """This environment minus what xdist set for this worker (the inner run is not a worker)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}


def _pytest_run(
    tmp_path: Path, config_text: str, *extra: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    (tmp_path / "omnicloud.toml").write_text(config_text, encoding="utf-8")
    (tmp_path / "test_slow.py").write_text(textwrap.dedent(_TEST_MODULE), encoding="utf-8")
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "--rootdir",
        str(tmp_path),
        "-c",
        os.devnull,
        "omnicloud.toml",
        *extra,
    ]
    return spawn(
        argv,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**_outer_env(), **(env or {})},
    )


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_a_pytest_run_tears_services_down(
    sig: signal.Signals, tmp_path: Path, state_dir: Path
) -> None:
    require_binary("redis-server", "redis-server")
    mark = tmp_path / "mark"
    proc = _pytest_run(tmp_path, PYTEST_CONFIG, "test_slow.py", env={"MARK": str(mark)})
    # write_text creates the file before it writes: wait for the content, not the name
    _wait_for(lambda: mark.exists() and mark.read_text().strip() != "", timeout=60)
    port = int(mark.read_text())
    assert port_open("127.0.0.1", port)
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, out  # pytest's "interrupted"
    _assert_nothing_left(state_dir, [port])


def test_a_service_that_cannot_start_ends_the_run_as_an_infrastructure_failure(
    tmp_path: Path, state_dir: Path
) -> None:
    require_binary("redis-server", "redis-server")
    broken = PYTEST_CONFIG.replace(
        'recipe = "redis"',
        'recipe = "redis"\ncommand = ["redis-server", "--port", "{port}", "--bogus", "1"]',
    )
    proc = _pytest_run(tmp_path, broken)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 5, out
    assert "error: service 'redis' exited with code 1 before it was ready" in out
    assert "bogus" in out  # the log tail names the cause
    assert "passed" not in out
    assert "failed" not in out
    _assert_nothing_left(state_dir, [])
