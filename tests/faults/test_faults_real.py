"""Fault profiles against real servers: each invariant catches a broken backend, and a correct
one passes. Servers are started once for the module by the process provisioner."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omnicloud.config import parse_config
from omnicloud.config.models import Config
from omnicloud.faults.run import fault_targets, run_targets
from omnicloud.faults.scenarios import FaultTarget
from omnicloud.provision.base import STATE_DIR_ENV
from omnicloud.provision.lifecycle import provision
from service_guard import require_binary

# One xdist worker runs the module: its two Redis servers (the module fixture) start once.
pytestmark = [pytest.mark.services("redis"), pytest.mark.xdist_group("faults-redis")]

_REDIS = 'factory = "omnicloud.providers.redis:create_store"\nservices = ["{service}"]\n'
CONFIG = """
[project]
default_environment = "local"
[environments.local]
provisioner = "process"
[faults]
duration = "0.6s"
[services.redis]
recipe = "redis"
[services.redis-aof]
recipe = "redis"
command = ["redis-server", "--port", "{port}", "--bind", "127.0.0.1", "--dir", "{data_dir}",
           "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--databases", "64"]

[providers.redis-memory]   # no persistence at all, yet declared durable: must be caught
factory = "omnicloud.providers.redis:create_store"
options = { url = "{services.redis.url}", prefix = "f:", socket_timeout = 1 }
services = ["redis"]
implements = ["keyvalue_basic"]
faults = { durable = true, timeout = "3s", recovery = "10s" }

[providers.redis-volatile] # the same server, honestly declared not durable
factory = "omnicloud.providers.redis:create_store"
options = { url = "{services.redis.url}", prefix = "f:", socket_timeout = 1 }
services = ["redis"]
implements = ["keyvalue_basic"]
faults = { durable = false, timeout = "3s", recovery = "10s" }

[providers.redis-aof]      # append-only file, fsync on every write: durable
factory = "omnicloud.providers.redis:create_store"
options = { url = "{services.redis-aof.url}", prefix = "f:", socket_timeout = 1 }
services = ["redis-aof"]
implements = ["keyvalue_basic"]
faults = { durable = true, timeout = "3s", recovery = "10s" }

[providers.redis-no-timeout]   # redis-py without a socket timeout waits forever on a hang
factory = "omnicloud.providers.redis:create_store"
options = { url = "{services.redis.url}", prefix = "f:" }
services = ["redis"]
implements = ["keyvalue_basic"]
faults = { timeout = "0.5s", recovery = "5s" }

[providers.redis-stream]    # the same store through its streams: appends read back afterwards
factory = "omnicloud.providers.redis:create_store"
options = { url = "{services.redis.url}", prefix = "f:", socket_timeout = 1 }
services = ["redis"]
implements = ["stream_basic"]
faults = { timeout = "3s", recovery = "10s" }

[providers.redis-lock]
contract = "distributed_lock"
factory = "omnicloud.providers.redis:create_lock_manager"
options = { url = "{services.redis.url}", prefix = "f:", socket_timeout = 1 }
services = ["redis"]
faults = { timeout = "3s", recovery = "10s" }

[providers.greedy-lock]        # reports every acquire as obtained
contract = "distributed_lock"
factory = "faults_support:create_greedy_lock_manager"
options = { url = "{services.redis.url}", prefix = "f:", socket_timeout = 1 }
services = ["redis"]
faults = { timeout = "3s", recovery = "10s" }
"""


@pytest.fixture(scope="module")
def faulted() -> Iterator[tuple[Config, dict[str, FaultTarget]]]:
    """Both Redis servers (plain and append-only) and a fault target for every provider."""
    require_binary("redis-server", "redis-server")
    with tempfile.TemporaryDirectory(prefix="omnicloud-faults-") as state:
        path = Path(state) / "omnicloud.toml"
        config = parse_config(CONFIG, path, environ={})
        with contextlib.ExitStack() as stack:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv(STATE_DIR_ENV, state)
                env = stack.enter_context(provision(config))
            targets = stack.enter_context(fault_targets(config, env, list(config.providers)))
            yield config, {t.provider: t for t in targets}


async def _run(faulted: tuple[Config, dict[str, FaultTarget]], provider: str, profile: str) -> Any:
    config, targets = faulted
    (record,), _ = await run_targets(config, [targets[provider]], [profile], echo=lambda _: None)
    return record, {c["invariant"].split(" (")[0]: c for c in record["checks"]}


async def test_redis_without_persistence_declared_durable_is_caught_losing_acked_writes(
    faulted: Any,
) -> None:
    record, checks = await _run(faulted, "redis-memory", "crash_restart")
    assert record["outcome"] == "fail"
    lost = checks["acknowledged writes survive"]
    assert lost["outcome"] == "fail"
    assert "acknowledged writes lost" in lost["detail"]
    assert lost["examples"][0]["outcome"] == "ok"  # a write the server had acknowledged


async def test_a_backend_not_declared_durable_is_reported_not_failed(faulted: Any) -> None:
    record, checks = await _run(faulted, "redis-volatile", "crash_restart")
    survive = checks["acknowledged writes survive"]
    assert survive["outcome"] == "n/a"
    assert "not declared durable" in survive["detail"]
    assert record["outcome"] == "pass"
    assert checks["recovers within 10s of the heal"]["outcome"] == "pass"


async def test_redis_with_an_fsynced_append_only_file_keeps_every_acked_write(
    faulted: Any,
) -> None:
    record, checks = await _run(faulted, "redis-aof", "crash_restart")
    assert checks["acknowledged writes survive"]["outcome"] == "pass", checks
    assert record["outcome"] == "pass", checks
    assert record["operations"]["ok"] > 0


async def test_a_provider_hanging_past_its_timeout_during_a_hang_is_caught(faulted: Any) -> None:
    record, checks = await _run(faulted, "redis-no-timeout", "hang")
    assert record["outcome"] == "fail"
    hung = checks["no operation hangs past its timeout"]
    assert hung["outcome"] == "fail"
    assert "gave no answer within 0.5s" in hung["detail"]
    example = hung["examples"][0]
    assert example["end"] - example["start"] > 0.5


async def test_a_provider_with_a_socket_timeout_fails_fast_during_a_hang(faulted: Any) -> None:
    record, checks = await _run(faulted, "redis-memory", "hang")
    assert checks["no operation hangs past its timeout"]["outcome"] == "pass", checks
    assert checks["acknowledged writes survive"]["outcome"] == "pass", checks
    assert record["outcome"] == "pass"


@pytest.mark.parametrize("profile", ["partition", "reset_peer", "slow_network"])
async def test_network_faults_lose_no_acked_write_and_heal(faulted: Any, profile: str) -> None:
    record, checks = await _run(faulted, "redis-volatile", profile)
    assert checks["acknowledged writes survive"]["outcome"] == "pass", checks
    assert record["outcome"] == "pass", checks


async def test_a_lock_granted_to_two_owners_is_caught(faulted: Any) -> None:
    record, checks = await _run(faulted, "greedy-lock", "slow_network")
    assert checks["never two lock holders"]["outcome"] == "fail"
    assert record["outcome"] == "fail"
    _, good_checks = await _run(faulted, "redis-lock", "slow_network")
    assert good_checks["never two lock holders"]["outcome"] == "pass", good_checks


async def test_acknowledged_stream_appends_survive_a_network_fault(faulted: Any) -> None:
    record, checks = await _run(faulted, "redis-stream", "reset_peer")
    assert record["family"] == "stream"
    assert checks["no acknowledged message lost"]["outcome"] == "pass", checks
    assert record["outcome"] == "pass", checks
