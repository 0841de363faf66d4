"""Where a Docker engine's published ports are bound and reached, by where the engine is.

A local engine publishes on 127.0.0.1; a remote one (GitLab's docker-in-docker service at
``tcp://docker:2375``) must publish on its own interfaces and be reached by its host name, as
its loopback is not this machine's. Pure: no engine is contacted.
"""

from __future__ import annotations

import pytest

from omnicloud.provision.docker import DockerProvisioner, published_host


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        (None, ("127.0.0.1", "127.0.0.1")),
        ("", ("127.0.0.1", "127.0.0.1")),
        ("unix:///var/run/docker.sock", ("127.0.0.1", "127.0.0.1")),
        ("npipe:////./pipe/docker_engine", ("127.0.0.1", "127.0.0.1")),
        ("tcp://127.0.0.1:2375", ("127.0.0.1", "127.0.0.1")),
        ("tcp://localhost:2376", ("127.0.0.1", "127.0.0.1")),
        ("tcp://[::1]:2375", ("127.0.0.1", "127.0.0.1")),
        ("tcp://docker:2375", ("0.0.0.0", "docker")),
        ("https://10.1.2.3:2376", ("0.0.0.0", "10.1.2.3")),
    ],
)
def test_the_published_host_follows_the_engine(
    engine: str | None, expected: tuple[str, str]
) -> None:
    assert published_host(engine) == expected


def test_the_configured_engine_wins_over_docker_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://docker:2375")
    assert DockerProvisioner()._host == "docker"
    assert DockerProvisioner(base_url="unix:///run/docker.sock")._host == "127.0.0.1"
    monkeypatch.delenv("DOCKER_HOST")
    assert (DockerProvisioner()._bind, DockerProvisioner()._host) == ("127.0.0.1", "127.0.0.1")
