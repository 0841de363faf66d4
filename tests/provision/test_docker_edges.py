"""The docker provisioner's and the image builder's error paths, against a real Docker engine
where the engine is what answers (a name conflict, a container gone mid-wait, an image built
and kept), without one where the code must not reach it."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest
import requests

from omnicloud.config.models import ServiceConfig
from omnicloud.errors import ExitCode, InfrastructureError
from omnicloud.provision.base import RunContext, ServiceHandle, ServiceSpec, owner_id
from omnicloud.provision.docker import DockerProvisioner, docker_client
from omnicloud.provision.images import (
    INPUTS_LABEL,
    SERVICE_UID,
    ImageSpec,
    _is_elf,
    build_image,
    host_binary,
    local_tag,
    main,
    redis_image,
    rootfs_files,
    shared_libraries,
    write_rootfs_tar,
)
from omnicloud.provision.ready import ProvisionFailed
from omnicloud.provision.recipes import resolve_service

NO_ENGINE = "unix:///nonexistent/docker.sock"
TINY = "omnicloud-test/tiny:latest"


def _redis_spec(image: str | None = None) -> ServiceSpec:
    spec = resolve_service("redis", ServiceConfig())
    return dataclasses.replace(spec, image=image)


# -- without an engine ----------------------------------------------------------------------------


def test_no_engine_is_an_infrastructure_error_with_a_hint() -> None:
    with pytest.raises(InfrastructureError) as info:
        docker_client(base_url=NO_ENGINE)
    assert info.value.message.startswith("no Docker engine is reachable: ")
    assert info.value.exit_code == ExitCode.INFRASTRUCTURE


def test_a_missing_docker_sdk_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "docker", None)  # import docker -> ImportError
    with pytest.raises(InfrastructureError) as info:
        docker_client()
    assert "needs the Docker SDK" in info.value.message
    assert info.value.hint == "pip install 'open-omni-cloud-tck[docker]'"


def test_a_service_without_image_fails_before_reaching_the_engine(tmp_path: Path) -> None:
    provisioner = DockerProvisioner(base_url=NO_ENGINE)
    with pytest.raises(ProvisionFailed) as info:
        provisioner.start(_redis_spec(None), RunContext("r1", "h", tmp_path, "docker"))
    assert info.value.message == "service 'redis' has no image for the docker provisioner"
    # Stopping a handle whose container was never named touches no engine (it would raise).
    provisioner.stop(ServiceHandle("redis", "docker", "127.0.0.1", 0))


class _Containers:
    """Stands for the SDK's container collection: removal fails with a given engine answer."""

    def __init__(self, status: int, explanation: str) -> None:
        response = requests.Response()
        response.status_code = status
        self.error = docker.errors.APIError("remove", response, explanation)

    def get(self, ident: str) -> _Containers:
        return self

    def remove(self, force: bool, v: bool) -> None:
        raise self.error


class _Client:
    def __init__(self, status: int, explanation: str) -> None:
        self.containers = _Containers(status, explanation)


def test_a_removal_already_in_progress_is_done_other_engine_errors_are_not() -> None:
    # Docker answers 409 while a concurrent teardown removes the same container: wanted outcome.
    provisioner = DockerProvisioner()
    provisioner._client = _Client(409, "removal of container abc is already in progress")
    provisioner.stop(ServiceHandle("redis", "docker", "h", 1, resources={"container": "abc"}))
    provisioner._client = _Client(409, "container abc is paused")
    with pytest.raises(docker.errors.APIError, match="paused"):
        provisioner.stop(ServiceHandle("redis", "docker", "h", 1, resources={"container": "abc"}))
    provisioner._client = _Client(500, "driver failed")
    with pytest.raises(docker.errors.APIError, match="driver failed"):
        provisioner.stop(ServiceHandle("redis", "docker", "h", 1, resources={"container": "abc"}))


# -- the image builder's pure parts ---------------------------------------------------------------


def test_a_missing_host_binary_is_named() -> None:
    with pytest.raises(InfrastructureError, match="'no-such-server-xyz' is not installed"):
        host_binary("no-such-server-xyz")


def test_rootfs_files_follow_binaries_trees_and_skip_excluded_and_missing(tmp_path: Path) -> None:
    script = tmp_path / "tree" / "start.sh"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    assert shared_libraries(str(script)) == []  # a script: ldd refuses it
    true = host_binary("true")
    libraries = shared_libraries(true)
    assert libraries, "a dynamic /bin/true needs libc"
    spec = ImageSpec(
        tag=TINY,
        binaries=(true, host_binary("false")),
        trees=(str(script.parent), str(tmp_path / "missing"), "/etc/hostname"),
        exclude=r"/false$",
    )
    files = rootfs_files(spec)
    assert true in files
    assert str(script) in files
    assert "/etc/hostname" in files
    assert host_binary("false") not in files
    assert set(libraries) <= set(files)
    assert not _is_elf(tmp_path)  # unreadable as a file: not ELF
    assert _is_elf(Path(true))


def test_the_rootfs_tar_has_files_at_their_link_names_and_owned_extras(tmp_path: Path) -> None:
    real = tmp_path / "real.bin"
    real.write_bytes(b"data")
    link = tmp_path / "link.bin"
    link.symlink_to(real)
    spec = ImageSpec(
        tag=TINY,
        binaries=(),
        files={"/etc/motd": "hello\n"},
        dirs={"/var/lib/svc": 0o700, "/tmp": 0o1777},
    )
    target = tmp_path / "rootfs.tar"
    write_rootfs_tar(spec, [str(link), str(real)], target)
    with tarfile.open(target) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert members[str(link).lstrip("/")].isfile()  # a link is stored as the file it names
        assert members[str(real).lstrip("/")].size == 4
        assert len([n for n in members if n.endswith(".bin")]) == 2  # each name once
        assert (members["var/lib/svc"].uid, members["var/lib/svc"].mode) == (SERVICE_UID, 0o700)
        assert members["tmp"].uid == 0
        motd = tar.extractfile("etc/motd")
        assert motd is not None
        assert motd.read() == b"hello\n"


def test_main_refuses_unknown_images_and_reports_a_missing_engine(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["no-such-kind"])
    assert info.value.code == 2
    assert "unknown image(s) no-such-kind; choose from " in capsys.readouterr().err
    monkeypatch.setenv("DOCKER_HOST", NO_ENGINE)
    assert main(["redis"]) == ExitCode.INFRASTRUCTURE
    assert "no Docker engine is reachable" in capsys.readouterr().err


def test_the_images_module_runs_as_a_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "omnicloud.provision.images", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Build container images for service kinds from host binaries." in done.stdout
    for kind in ("etcd", "nats", "postgres", "rabbitmq", "redis"):
        assert kind in done.stdout


# -- with a real engine ---------------------------------------------------------------------------


@pytest.fixture
def tiny(client: Any) -> Iterator[ImageSpec]:
    true = host_binary("true")
    spec = ImageSpec(tag=TINY, binaries=(true,), changes=(f'CMD ["{true}"]',))
    try:
        yield spec
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(TINY, force=True)


@pytest.mark.services("docker")
def test_an_image_is_built_once_and_rebuilt_only_when_forced(client: Any, tiny: ImageSpec) -> None:
    with contextlib.suppress(docker.errors.ImageNotFound):
        client.images.remove(TINY, force=True)
    assert build_image(tiny, client) == TINY
    first = client.images.get(TINY)
    assert first.labels[INPUTS_LABEL]
    assert build_image(tiny, client) == TINY
    assert client.images.get(TINY).id == first.id  # inputs unchanged: kept
    assert build_image(tiny, client, force=True) == TINY
    assert client.images.get(TINY).labels[INPUTS_LABEL] == first.labels[INPUTS_LABEL]
    assert client.containers.run(TINY, remove=True) == b""  # `true` runs with its libc


@pytest.mark.services("docker")
def test_a_configured_engine_url_is_used_instead_of_the_environment(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"  # where `client` is
    monkeypatch.setenv("DOCKER_HOST", NO_ENGINE)  # would fail if it were read
    provisioner = DockerProvisioner(base_url=url, timeout=30, unknown="ignored")
    assert provisioner.client.ping() is True


@pytest.mark.services("docker")
def test_main_builds_the_named_kind_image(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    build_image(redis_image(), client)
    assert main(["redis"]) == 0
    assert capsys.readouterr().out == f"redis: {local_tag('redis')}\n"


@pytest.mark.services("docker")
def test_a_name_taken_on_the_engine_is_a_refusal_naming_the_service(
    client: Any, tmp_path: Path
) -> None:
    build_image(redis_image(), client)
    run = RunContext("taken-1", "h", tmp_path, "docker")
    squatter = client.containers.create(local_tag("redis"), name="omnicloud-taken-1-redis")
    try:
        with pytest.raises(ProvisionFailed) as info:
            DockerProvisioner().start(_redis_spec(local_tag("redis")), run)
        assert info.value.message.startswith("service 'redis': Docker refused the container: 409")
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            squatter.remove(force=True)


@pytest.mark.services("docker")
def test_a_container_gone_while_waiting_cannot_be_inspected(client: Any, tmp_path: Path) -> None:
    build_image(redis_image(), client)
    container = client.containers.create(local_tag("redis"))
    container.remove(force=True)
    spec = _redis_spec(local_tag("redis"))
    handle = ServiceHandle("redis", "docker", "127.0.0.1", 1, resources={"container": container.id})
    provisioner = DockerProvisioner()
    with pytest.raises(ProvisionFailed) as info:
        provisioner._wait(spec, container, handle)
    assert "could not be inspected" in info.value.message
    assert not provisioner.alive(handle)


@pytest.mark.services("docker")
def test_leftovers_skip_live_runs_and_name_dead_ones(client: Any, tmp_path: Path) -> None:
    build_image(redis_image(), client)
    run = RunContext("leftover-1", "h", tmp_path, "docker")
    container = client.containers.create(
        local_tag("redis"), labels=run.labels, name="omnicloud-leftover-1-redis"
    )
    provisioner = DockerProvisioner()
    try:
        assert all(x.run_id != "leftover-1" for x in provisioner.leftovers({"leftover-1"}, None))
        found = [x for x in provisioner.leftovers(set(), owner_id()) if x.run_id == "leftover-1"]
        assert [(x.kind, x.ident, x.detail) for x in found] == [
            ("container", container.id, "omnicloud-leftover-1-redis")
        ]
        provisioner.remove(found[0])
        provisioner.remove(found[0])  # already gone: nothing to do
        assert not provisioner.leftovers(set(), owner_id()) or all(
            x.run_id != "leftover-1" for x in provisioner.leftovers(set(), owner_id())
        )
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)
