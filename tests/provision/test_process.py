"""The process provisioner against real redis-server and PostgreSQL binaries."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from provision_support import port_open

from children import pid_running, processes_in
from omnicloud.config import Config
from omnicloud.errors import ExitCode
from omnicloud.provision.lifecycle import kept_runs, live_runs, provision, prune, teardown
from omnicloud.provision.ready import ProvisionFailed, ProvisionTimeout
from service_guard import require_binary

pytestmark = pytest.mark.services("redis", "postgres")

LOCAL = """
[project]
default_environment = "local"
[services.redis]
recipe = "redis"
[services.postgres]
recipe = "postgres"
[environments.local]
provisioner = "process"
[environments.kept]
provisioner = "process"
reuse = true
"""


def _redis_ping(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return bool(client.ping())
    finally:
        client.close()


def _select_one(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT 1").fetchone()
        assert row is not None
        return int(row[0])


def test_redis_and_postgres_start_answer_and_leave_nothing(
    make_config: Callable[[str], Config], state_dir: Path
) -> None:
    require_binary("redis-server", "redis-server")
    require_binary("initdb", "postgresql")
    config = make_config(LOCAL)
    with provision(config) as env:
        redis_ep, pg_ep = env.endpoints()["redis"], env.endpoints()["postgres"]
        assert _redis_ping(redis_ep["url"])
        assert _select_one(pg_ep["url"]) == 1
        assert redis_ep["port"] != pg_ep["port"]
        pids = [h.resources["pid"] for h in env.handles.values()]
        assert all(pid_running(p) for p in pids)
        assert env.endpoints_file is not None
        assert json.loads(env.endpoints_file.read_text())["redis"]["url"] == redis_ep["url"]
    assert not any(pid_running(p) for p in pids)
    assert not port_open("127.0.0.1", redis_ep["port"])
    assert not port_open("127.0.0.1", pg_ep["port"])
    assert list((state_dir / "runs").iterdir()) == []
    assert processes_in(state_dir) == []


def test_a_service_that_cannot_start_fails_with_its_log_tail(
    make_config: Callable[[str], Config], state_dir: Path
) -> None:
    require_binary("redis-server", "redis-server")
    config = make_config("""
        [services.broken]
        command = ["redis-server", "--port", "{port}", "--no-such-option", "yes"]
        port = 6379
        [environments.local]
        provisioner = "process"
    """)
    with pytest.raises(ProvisionFailed) as info, provision(config, environment="local"):
        pytest.fail("must not start")
    assert info.value.exit_code == ExitCode.INFRASTRUCTURE
    message = info.value.message
    assert message.startswith("service 'broken' exited with code 1 before it was ready")
    assert "[services.broken.ready.timeout]" in message
    assert "no-such-option" in message  # redis-server's own complaint, from the log tail
    assert list((state_dir / "runs").iterdir()) == []


def test_a_service_that_never_gets_ready_times_out_naming_the_key(
    make_config: Callable[[str], Config], state_dir: Path
) -> None:
    require_binary("redis-server", "redis-server")
    config = make_config("""
        [services.redis]
        startup_timeout = "1s"
        ready = { log = "this line never appears", interval = "50ms" }
        [environments.local]
        provisioner = "process"
    """)
    with pytest.raises(ProvisionTimeout) as info, provision(config, environment="local"):
        pytest.fail("must not start")
    message = info.value.message
    assert message.startswith("service 'redis' not ready after 1s [services.redis.startup_timeout]")
    assert "log has no line matching /this line never appears/" in message
    assert "Ready to accept connections" in message  # the log tail
    assert processes_in(state_dir) == []


def test_a_missing_binary_names_the_command_key(
    make_config: Callable[[str], Config], state_dir: Path
) -> None:
    config = make_config("""
        [services.ghost]
        command = ["omnicloud-no-such-server", "{port}"]
        port = 1
        [environments.local]
        provisioner = "process"
    """)
    with pytest.raises(ProvisionFailed) as info, provision(config, environment="local"):
        pytest.fail("must not start")
    assert info.value.message == (
        "service 'ghost': the 'omnicloud-no-such-server' binary is not on PATH"
        " [services.ghost.command]"
    )


def test_reuse_keeps_services_and_the_next_run_starts_nothing(
    make_config: Callable[[str], Config], state_dir: Path
) -> None:
    require_binary("redis-server", "redis-server")
    config = make_config(LOCAL)
    with provision(config, environment="kept", services=["redis"]) as first:
        assert not first.reused
        pid = first.handles["redis"].resources["pid"]
    assert pid_running(pid)  # kept on purpose
    assert first.run_id in live_runs()
    with provision(config, environment="kept", services=["redis"]) as second:
        assert second.reused
        assert second.run_id == first.run_id
        assert second.handles["redis"].resources["pid"] == pid
        assert _redis_ping(second.endpoints()["redis"]["url"])
    assert [state["run_id"] for _, state in kept_runs()] == [first.run_id]
    assert teardown("kept") == [first.run_id]
    assert not pid_running(pid)
    assert kept_runs() == []


def test_reuse_restarts_when_the_kept_service_died(
    make_config: Callable[[str], Config], state_dir: Path
) -> None:
    require_binary("redis-server", "redis-server")
    config = make_config(LOCAL)
    with provision(config, environment="kept", services=["redis"]) as first:
        pid = first.handles["redis"].resources["pid"]
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pid_running(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    with provision(config, environment="kept", services=["redis"]) as second:
        assert not second.reused
        assert second.run_id != first.run_id
    assert [state["run_id"] for _, state in kept_runs()] == [second.run_id]
    teardown()
    assert processes_in(state_dir) == []


_DIE_AFTER_START = """
import os, sys
from pathlib import Path
from omnicloud.config import load_config
from omnicloud.provision.lifecycle import provision
with provision(load_config(sys.argv[1]), environment="local", services=["redis"]) as env:
    print(env.handles["redis"].resources["pid"], flush=True)
    os._exit(9)  # like SIGKILL: no cleanup runs
"""


def test_prune_removes_processes_and_dirs_of_dead_runs(
    make_config: Callable[[str], Config], state_dir: Path, tmp_path: Path
) -> None:
    require_binary("redis-server", "redis-server")
    make_config(LOCAL)
    done = subprocess.run(
        [sys.executable, "-c", _DIE_AFTER_START, str(tmp_path / "omnicloud.toml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 9, done.stderr
    pid = int(done.stdout.strip())
    assert pid_running(pid)
    removed = prune(provisioners=["process"])
    assert {(item.kind, item.ident) for item in removed if item.kind == "process"} == {
        ("process", str(pid))
    }
    assert any(item.kind == "tempdir" for item in removed)
    deadline = time.monotonic() + 10
    while pid_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_running(pid)
    assert list((state_dir / "runs").iterdir()) == []


def test_prune_leaves_live_runs_alone(make_config: Callable[[str], Config]) -> None:
    require_binary("redis-server", "redis-server")
    config = make_config(LOCAL)
    with provision(config, environment="local", services=["redis"]) as env:
        removed = prune(provisioners=["process"])
        assert removed == []
        assert _redis_ping(env.endpoints()["redis"]["url"])


def test_postgres_data_dir_is_initialised_once_then_copied(
    make_config: Callable[[str], Config], state_dir: Path
) -> None:
    require_binary("initdb", "postgresql")
    config = make_config(LOCAL)
    logs = []
    for _ in range(2):
        with provision(config, services=["postgres"]) as env:
            handle = env.handles["postgres"]
            logs.append(Path(str(handle.log_path)).read_text())
            assert _select_one(handle.endpoint()["url"]) == 1
    assert "creating directory" in logs[0]  # initdb ran
    assert "creating directory" not in logs[1]  # the cached data dir was copied instead
    assert len(list((state_dir / "init-cache").iterdir())) == 1


def test_a_redis_password_is_required_and_kept_out_of_output(
    make_config: Callable[[str], Config],
) -> None:
    require_binary("redis-server", "redis-server")
    import redis

    config = make_config(
        LOCAL.replace(
            '[services.redis]\nrecipe = "redis"',
            '[services.redis]\nrecipe = "redis"\nfields = { password = { secret = "s3cret-pw" } }',
        )
    )
    with provision(config, environment="local", services=["redis"]) as env:
        endpoint = env.endpoints()["redis"]
        assert endpoint["url"] == f"redis://:s3cret-pw@127.0.0.1:{endpoint['port']}/0"
        assert _redis_ping(endpoint["url"])
        anonymous = redis.Redis(host="127.0.0.1", port=endpoint["port"])
        try:
            with pytest.raises(redis.AuthenticationError):
                anonymous.get("k")
        finally:
            anonymous.close()
        assert "s3cret-pw" not in "\n".join(env.describe())
        assert config.secret_values() == ["s3cret-pw"]


def test_services_for_run_exports_endpoints_for_the_block_only(
    make_config: Callable[[str], Config],
) -> None:
    require_binary("redis-server", "redis-server")
    from omnicloud.provision.lifecycle import services_for_run

    config = make_config(
        LOCAL
        + """
[providers.redis-kv]
contract = "kv_store"
factory = "omnicloud.providers.redis:create_kv_store"
options = { url = "{services.redis.url}" }
services = ["redis"]
"""
    )
    with services_for_run(config, []) as nothing:
        assert nothing is None
    with services_for_run(config, ["redis-kv"]) as env:
        assert env is not None
        assert list(env.handles) == ["redis"]  # only what the provider needs
        assert os.environ["OMNICLOUD_ENDPOINTS"] == str(env.endpoints_file)
        with services_for_run(config, ["redis-kv"]) as inner:
            assert inner is None  # endpoints handed in: nothing more is started
    assert "OMNICLOUD_ENDPOINTS" not in os.environ


def test_services_for_run_raises_an_infrastructure_error(
    make_config: Callable[[str], Config],
) -> None:
    require_binary("redis-server", "redis-server")
    from omnicloud.errors import InfrastructureError
    from omnicloud.provision.lifecycle import services_for_run

    config = make_config(
        LOCAL.replace(
            'recipe = "redis"',
            'recipe = "redis"\ncommand = ["redis-server", "--port", "{port}", "--bogus", "1"]',
        )
        + '[providers.r]\ncontract = "kv"\nfactory = "m:f"\nservices = ["redis"]\n'
    )
    with pytest.raises(InfrastructureError) as info, services_for_run(config, ["r"]):
        pytest.fail("must not start")
    assert info.value.exit_code == ExitCode.INFRASTRUCTURE
    assert "OMNICLOUD_ENDPOINTS" not in os.environ
