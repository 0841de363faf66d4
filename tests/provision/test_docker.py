"""The docker provisioner against a real Docker engine, with images built from host binaries."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from omnicloud.config import Config
from omnicloud.provision.base import (
    CONFIG_HASH_LABEL,
    OWNER_LABEL,
    RUN_ID_LABEL,
    SERVICE_LABEL,
    owner_id,
)
from omnicloud.provision.lifecycle import provision, prune, teardown
from omnicloud.provision.ready import ProvisionFailed

pytestmark = pytest.mark.services("docker")

DOCKER = """
[services.redis]
recipe = "redis"
image = "omnicloud-local/redis:latest"
[services.postgres]
recipe = "postgres"
image = "omnicloud-local/postgres:latest"
[environments.docker]
provisioner = "docker"
[environments.docker-kept]
provisioner = "docker"
reuse = true
"""


@pytest.fixture(scope="module")
def images(client: Any) -> None:
    from omnicloud.provision.images import build_image, postgres_image, redis_image

    build_image(redis_image(), client)
    build_image(postgres_image(), client)


@dataclass(frozen=True)
class Container:
    id: str
    labels: dict[str, str]


def _ours(client: Any) -> list[Container]:
    """This test's containers, from one listing (no per-container inspect that could race)."""
    # Only this test's (its own state root): other tests may use the engine at the same time.
    listing = client.api.containers(all=True, filters={"label": f"{OWNER_LABEL}={owner_id()}"})
    return [Container(str(c["Id"]), dict(c.get("Labels") or {})) for c in listing]


def test_services_run_as_labelled_containers_and_are_removed(
    client: Any, images: None, make_config: Callable[[str], Config]
) -> None:
    import psycopg
    import redis

    before = {c.id for c in _ours(client)}
    with provision(make_config(DOCKER), environment="docker") as env:
        mine = [c for c in _ours(client) if c.id not in before]
        assert {c.labels[SERVICE_LABEL] for c in mine} == {"redis", "postgres"}
        assert {c.labels[RUN_ID_LABEL] for c in mine} == {env.run_id}
        assert {c.labels[CONFIG_HASH_LABEL] for c in mine} == {env.config_hash}
        endpoints = env.endpoints()
        assert redis.Redis.from_url(endpoints["redis"]["url"]).ping()
        with psycopg.connect(endpoints["postgres"]["url"]) as conn:
            row = conn.execute("SELECT current_user").fetchone()
            assert row == ("postgres",)
    assert [c for c in _ours(client) if c.id not in before] == []


def test_docker_reuse_finds_the_running_containers(
    client: Any, images: None, make_config: Callable[[str], Config]
) -> None:
    config = make_config(DOCKER)
    with provision(config, environment="docker-kept", services=["redis"]) as first:
        container = first.handles["redis"].resources["container"]
    with provision(config, environment="docker-kept", services=["redis"]) as second:
        assert second.reused
        assert second.handles["redis"].resources["container"] == container
    assert teardown("docker-kept") == [first.run_id]
    assert all(c.id != container for c in _ours(client))


def test_a_missing_image_fails_naming_the_key_and_the_local_build(
    client: Any, make_config: Callable[[str], Config]
) -> None:
    config = make_config(DOCKER.replace("omnicloud-local/redis:latest", "omnicloud-local/nope:1"))
    with (
        pytest.raises(ProvisionFailed) as info,
        provision(config, environment="docker", services=["redis"]),
    ):
        pytest.fail("must not start")
    assert info.value.message == (
        "service 'redis': image 'omnicloud-local/nope:1' is not available locally"
        " [services.redis.image]"
    )
    assert "python -m omnicloud.provision.images" in str(info.value.hint)


def test_a_crashing_container_fails_with_its_log_tail(
    client: Any, images: None, make_config: Callable[[str], Config]
) -> None:
    before = {c.id for c in _ours(client)}
    config = make_config(
        DOCKER + '\n[services.bad]\nrecipe = "redis"\nimage = '
        '"omnicloud-local/redis:latest"\ncommand = ["redis-server", "--nope"]\n'
    )
    with (
        pytest.raises(ProvisionFailed) as info,
        provision(config, environment="docker", services=["bad"]),
    ):
        pytest.fail("must not start")
    assert "service 'bad' container exited with code 1 before it was ready" in info.value.message
    assert "nope" in info.value.message.split("--- last lines")[1]
    assert [c for c in _ours(client) if c.id not in before] == []


def test_prune_removes_containers_of_dead_runs_of_this_owner_only(
    client: Any, images: None
) -> None:
    ours = client.containers.create(
        "omnicloud-local/redis:latest",
        labels={RUN_ID_LABEL: "dead-run-1", OWNER_LABEL: owner_id()},
        detach=True,
    )
    theirs = client.containers.create(
        "omnicloud-local/redis:latest",
        labels={RUN_ID_LABEL: "dead-run-2", OWNER_LABEL: "another-machine"},
        detach=True,
    )
    try:
        removed = prune(provisioners=["docker"])
        assert [(r.kind, r.ident) for r in removed] == [("container", ours.id)]
        remaining = client.api.containers(all=True, filters={"label": RUN_ID_LABEL})
        assert [c["Id"] for c in remaining if c["Id"] in (ours.id, theirs.id)] == [theirs.id]
    finally:
        for container in (ours, theirs):
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)


_SCRIPT = """
import sys, time
from omnicloud.config import load_config
from omnicloud.provision.lifecycle import provision
try:
    with provision(load_config(sys.argv[1]), environment="docker") as env:
        print("READY", env.run_id, flush=True)
        time.sleep(120)
except KeyboardInterrupt:
    sys.exit(130)
"""


def _finish(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "when"), [(signal.SIGINT, "provisioning"), (signal.SIGTERM, "running")]
)
@pytest.mark.usefixtures("images")
def test_interrupts_leave_no_container(
    client: Any,
    tmp_path: Path,
    sig: signal.Signals,
    when: str,
    request: pytest.FixtureRequest,
) -> None:
    config = tmp_path / "omnicloud.toml"
    config.write_text(DOCKER, encoding="utf-8")
    before = {c.id for c in _ours(client)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    if when == "provisioning":  # redis is up, postgres is initialising: a half-finished start
        while not any(
            c.labels.get(SERVICE_LABEL) == "postgres" for c in _ours(client) if c.id not in before
        ):
            assert time.monotonic() < deadline, "postgres container never appeared"
            time.sleep(0.02)
    else:
        assert proc.stdout.readline().startswith("READY")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert [c for c in _ours(client) if c.id not in before] == []
