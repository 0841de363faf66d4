"""Crash and hang faults under the ``docker`` environment, against real containers: ``docker
kill`` + ``start`` of the same container (its data kept, its port published anew and the fault
proxy moved to it), ``docker pause`` / ``unpause``. The images are built locally from the host's
redis-server (``omnicloud.provision.images``), as the docker provisioner's own tests do."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omnicloud.config import parse_config
from omnicloud.config.models import Config
from omnicloud.errors import InfrastructureError
from omnicloud.faults.docker_service import DockerControl
from omnicloud.faults.run import fault_targets, run_targets
from omnicloud.faults.scenarios import FaultTarget
from omnicloud.provision.base import STATE_DIR_ENV
from omnicloud.provision.lifecycle import provision
from service_guard import require, require_binary

pytestmark = pytest.mark.services("docker", "redis")

_PROVIDER = """
factory = "omnicloud.providers.redis:create_store"
options = {{ url = "{{services.{service}.url}}", prefix = "f:"{extra} }}
services = ["{service}"]
implements = ["keyvalue_basic"]
"""
CONFIG = (
    """
[project]
default_environment = "docker"
[environments.docker]
provisioner = "docker"
[faults]
duration = "0.6s"
[services.redis]
recipe = "redis"
image = "omnicloud-local/redis:latest"
[services.redis-aof]
recipe = "redis"
image = "omnicloud-local/redis:latest"
command = ["redis-server", "--port", "6379", "--protected-mode", "no", "--dir", "/data",
           "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--databases", "64"]

[providers.redis-memory]   # no persistence, declared durable: caught after docker kill
faults = { durable = true, timeout = "3s", recovery = "10s" }"""
    + _PROVIDER.format(service="redis", extra=", socket_timeout = 1")
    + """
[providers.redis-aof]      # append-only file fsynced on every write, in the container's /data
faults = { durable = true, timeout = "3s", recovery = "10s" }"""
    + _PROVIDER.format(service="redis-aof", extra=", socket_timeout = 1")
    + """
[providers.redis-no-timeout]   # redis-py without a socket timeout waits on a paused container
faults = { timeout = "0.5s", recovery = "1s" }"""
    + _PROVIDER.format(service="redis", extra="")
)


def _engine() -> Any:
    from omnicloud.provision.docker import docker_client

    try:
        return docker_client()
    except InfrastructureError:
        return None


@pytest.fixture(scope="module")
def faulted() -> Iterator[tuple[Config, dict[str, FaultTarget]]]:
    require_binary("redis-server", "redis-server")  # the local image is built from it
    engine = _engine()
    require(
        engine is not None, "a Docker engine", "start one with 'dockerd > /tmp/dockerd.log 2>&1 &'"
    )
    from omnicloud.provision.images import build_image, redis_image

    build_image(redis_image(), engine)
    with tempfile.TemporaryDirectory(prefix="omnicloud-faults-docker-") as state:
        Path(state).chmod(0o755)
        config = parse_config(CONFIG, Path(state) / "omnicloud.toml", environ={})
        with contextlib.ExitStack() as stack:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv(STATE_DIR_ENV, state)
                env = stack.enter_context(provision(config, environment="docker"))
            targets = stack.enter_context(fault_targets(config, env, list(config.providers)))
            yield config, {t.provider: t for t in targets}


async def _run(faulted: tuple[Config, dict[str, FaultTarget]], provider: str, profile: str) -> Any:
    config, targets = faulted
    (record,), not_run = await run_targets(
        config, [targets[provider]], [profile], echo=lambda _: None
    )
    assert not not_run
    return record, {c["invariant"].split(" (")[0]: c for c in record["checks"]}


def test_docker_services_are_driven_by_docker(faulted: Any) -> None:
    _, targets = faulted
    (control,) = targets["redis-aof"].services
    assert isinstance(control, DockerControl)
    assert control.restartable is None


async def test_docker_kill_loses_the_writes_of_redis_without_persistence(faulted: Any) -> None:
    record, checks = await _run(faulted, "redis-memory", "crash_restart")
    lost = checks["acknowledged writes survive"]
    assert lost["outcome"] == "fail", lost
    assert "acknowledged writes lost" in lost["detail"]
    assert record["outcome"] == "fail"


async def test_docker_kill_and_start_keep_an_fsynced_append_only_file(faulted: Any) -> None:
    _, targets = faulted
    target = targets["redis-aof"]
    (control,) = target.services
    assert isinstance(control, DockerControl)
    record, checks = await _run(faulted, "redis-aof", "crash_restart")
    assert checks["acknowledged writes survive"]["outcome"] == "pass", checks
    assert checks["recovers within 10s of the heal"]["outcome"] == "pass", checks
    assert record["operations"]["fail"] > 0  # the kill really cut calls short
    # Docker published the port anew; the proxy follows the container there.
    assert target.proxies[0].upstream == (control.handle.host, control.handle.port)
    assert control._container().status == "running"


async def test_docker_pause_catches_a_client_without_a_timeout(faulted: Any) -> None:
    record, checks = await _run(faulted, "redis-no-timeout", "hang")
    assert record["outcome"] == "fail", record.get("error")
    hung = checks["no operation hangs past its timeout"]
    assert hung["outcome"] == "fail", hung
    assert "gave no answer within 0.5s" in hung["detail"]
    _, good = await _run(faulted, "redis-memory", "hang")
    assert good["no operation hangs past its timeout"]["outcome"] == "pass", good
    assert good["acknowledged writes survive"]["outcome"] == "pass", good
