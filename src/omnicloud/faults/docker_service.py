"""Faults on a service the ``docker`` provisioner started: crash and restart, hang and resume.

A crash is ``docker kill`` (SIGKILL to the container's processes: no shutdown, no final flush);
the restart is ``docker start`` of the same container, so the server finds the same writable
layer and volumes (its data), and the kind's readiness checks run again. A hang is
``docker pause`` (the cgroup freezer: sockets stay open, nothing answers) until ``unpause``.

Docker publishes the container's port on a new random host port when it starts again, so the
restart reads the new mapping, updates the service's handle and points the fault proxy in front
of the service at it: the provider, which talks to the proxy, never sees the move.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omnicloud.errors import InfrastructureError
from omnicloud.faults.proxy import FaultProxy
from omnicloud.provision.base import ServiceHandle, ServiceSpec
from omnicloud.provision.docker import docker_client
from omnicloud.provision.ready import Deadline, ReadyTarget, checks_for, wait_ready
from omnicloud.provision.recipes import endpoint_fields


@dataclass
class DockerControl:
    """Kills, starts, pauses and resumes one service's container (its handle kept current)."""

    spec: ServiceSpec
    handle: ServiceHandle
    client: Any
    proxy: FaultProxy | None = None

    @classmethod
    def for_handle(
        cls,
        spec: ServiceSpec,
        handle: ServiceHandle,
        proxy: FaultProxy | None = None,
        client: Any = None,
    ) -> DockerControl:
        if handle.provisioner != "docker" or not handle.resources.get("container"):
            raise InfrastructureError(
                f"service '{handle.name}' has no container to fault"
                f" (it runs under '{handle.provisioner}')"
            )
        return cls(spec, handle, client or docker_client(), proxy)

    @property
    def restartable(self) -> str | None:
        return None  # the same container starts again on its own data

    def _container(self) -> Any:
        return self.client.containers.get(self.handle.resources["container"])

    def pause(self) -> None:
        """The server stops answering, its connections stay open (a hang)."""
        self._container().pause()

    def resume(self) -> None:
        self._container().unpause()

    def crash(self) -> None:
        """``docker kill`` (SIGKILL); returns once the container has stopped."""
        container = self._container()
        if container.status == "paused":  # a frozen container must be able to die
            container.unpause()
        container.kill()
        container.wait(timeout=30)

    def restart(self, timeout: float = 60.0) -> float:
        """``docker start`` of the same container; seconds until the kind's checks pass."""
        container = self._container()
        container.start()
        container.reload()
        mapping = container.ports.get(f"{self.spec.port}/tcp") or []
        if not mapping:
            raise InfrastructureError(
                f"service '{self.spec.name}': its container publishes no port after a restart"
                f" (status {container.status})"
            )
        port = int(mapping[0]["HostPort"])
        self.handle.port = port
        self.handle.fields = endpoint_fields(self.spec, self.handle.host, port)
        if self.proxy is not None:
            self.proxy.upstream = (self.handle.host, port)
        target = ReadyTarget(
            self.spec.name,
            self.handle.host,
            port,
            self.handle.endpoint(),
            log_reader=lambda: bytes(container.logs(tail=200)).decode("utf-8", "replace"),
        )

        def died() -> str | None:
            container.reload()
            if container.status in ("exited", "dead"):
                return f"container exited with code {container.attrs['State']['ExitCode']}"
            return None

        deadline = Deadline(timeout, 0.05, f"services.{self.spec.name}")
        return wait_ready(target, checks_for(self.spec.ready, self.spec.recipe), deadline, died)
