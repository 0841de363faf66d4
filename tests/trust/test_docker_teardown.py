"""Docker teardown: a removal another teardown already started is not an error."""

from __future__ import annotations

from typing import Any

import docker.errors as docker_errors
import pytest

from omnicloud.provision.base import ServiceHandle
from omnicloud.provision.docker import DockerProvisioner


class _Response:
    status_code = 409
    reason = "Conflict"
    url = "http+docker://localhost/v1.43/containers/abc?v=True&force=True"

    def json(self) -> dict[str, str]:
        return {"message": "removal of container abc is already in progress"}


class _Container:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def remove(self, **options: Any) -> None:
        raise self.error


class _Client:
    def __init__(self, error: Exception) -> None:
        self.containers = self
        self.error = error

    def get(self, ident: str) -> _Container:
        return _Container(self.error)


def _provisioner(error: Exception) -> DockerProvisioner:
    provisioner = DockerProvisioner()
    provisioner._client = _Client(error)
    return provisioner


def _handle() -> ServiceHandle:
    return ServiceHandle(
        name="redis",
        provisioner="docker",
        host="127.0.0.1",
        port=6379,
        resources={"container": "abc"},
    )


def test_removal_already_in_progress_is_not_an_error() -> None:
    conflict = docker_errors.APIError(
        "409 Client Error",
        response=_Response(),
        explanation="removal of container abc is already in progress",
    )
    _provisioner(conflict).stop(_handle())  # returns quietly


def test_other_docker_errors_still_fail() -> None:
    other = docker_errors.APIError("500 Server Error", explanation="driver failed")
    with pytest.raises(docker_errors.APIError):
        _provisioner(other).stop(_handle())
