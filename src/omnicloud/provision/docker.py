"""``docker``: one container per service through the Docker SDK (extra ``docker``).

Containers are labelled with the run id, the config hash and the service name, publish their
port on a random 127.0.0.1 port, and are removed with their anonymous volumes on stop. An
engine reached over TCP on another host (``DOCKER_HOST=tcp://docker:2375``, GitLab's
docker-in-docker service) publishes on all of that host's interfaces and is connected to by its
name: its loopback is not this machine's. Readiness
must not rely on TCP alone here: Docker's port proxy accepts connections before the server does,
which is why the recipes also ping the protocol.
"""

from __future__ import annotations

import gc
import os
import warnings
from typing import Any

from omnicloud.errors import InfrastructureError
from omnicloud.provision.base import (
    OWNER_LABEL,
    RUN_ID_LABEL,
    SERVICE_LABEL,
    Leftover,
    RunContext,
    ServiceHandle,
    ServiceSpec,
)
from omnicloud.provision.ready import (
    Deadline,
    ProvisionFailed,
    ReadyTarget,
    checks_for,
    failure,
    wait_ready,
)
from omnicloud.provision.recipes import endpoint_fields, fill, require_port

HOST = "127.0.0.1"
HTTP_CONFLICT = 409
_LOOPBACK = {"127.0.0.1", "localhost", "::1", ""}


def published_host(engine_url: str | None) -> tuple[str, str]:
    """Where an engine at ``engine_url`` publishes ports, and where to connect to them.

    A local engine (socket, or TCP on this machine's loopback) publishes on 127.0.0.1 only. A
    remote one (``tcp://docker:2375``) must publish on all of its interfaces, and its services
    are reached at its host name.
    """
    from urllib.parse import urlsplit

    if not engine_url or not engine_url.startswith(("tcp://", "http://", "https://")):
        return HOST, HOST
    host = urlsplit(engine_url).hostname or ""
    if host in _LOOPBACK:
        return HOST, HOST
    return "0.0.0.0", host  # the remote engine's own interfaces, see above


def docker_client(**options: Any) -> Any:
    """A Docker client that answered a ping; a clear error when the SDK or engine is missing."""
    try:
        import docker
    except ImportError:
        raise InfrastructureError(
            "the docker provisioner needs the Docker SDK, which is not installed",
            hint="pip install 'open-omni-cloud-tck[docker]'",
        ) from None
    reason = ""
    with warnings.catch_warnings():
        # A failed connect leaves the SDK's socket unclosed; it is freed here, not leaked.
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            # from_env() reads DOCKER_HOST and takes no base_url: a configured URL wins over it.
            base_url = options.pop("base_url", None)
            client = (
                docker.DockerClient(base_url=base_url, **options)
                if base_url
                else docker.from_env(**options)
            )
            client.ping()
        except docker.errors.DockerException as exc:
            reason = str(exc)
        gc.collect()
    if reason:
        raise InfrastructureError(
            f"no Docker engine is reachable: {reason}",
            hint="start it ('dockerd &' or 'systemctl start docker') or set DOCKER_HOST",
        )
    return client


def _errors() -> Any:
    import docker.errors

    return docker.errors


class DockerProvisioner:
    """Runs each service as a labelled container from its image."""

    name = "docker"
    reusable = True
    port_forward = False
    prunable = True
    environment_keys: tuple[str, ...] = ()

    def __init__(self, **client_options: Any) -> None:
        self._options = {k: v for k, v in client_options.items() if k in ("base_url", "timeout")}
        self._client: Any = None
        engine = self._options.get("base_url") or os.environ.get("DOCKER_HOST")
        self._bind, self._host = published_host(engine)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = docker_client(**self._options)
        return self._client

    def start(self, spec: ServiceSpec, run: RunContext) -> ServiceHandle:
        if not spec.image:
            raise ProvisionFailed(
                f"service '{spec.name}' has no image for the docker provisioner",
                hint=f"set services.{spec.name}.image",
            )
        require_port(spec, self.name)
        # The handle names the container before it exists: an interrupt that lands while Docker
        # creates it still finds it (by name) to remove.
        name = f"omnicloud-{run.run_id}-{spec.name}"
        handle = ServiceHandle(
            spec.name, self.name, self._host, 0, resources={"container": name, "run_id": run.run_id}
        )
        try:
            container = self._create(spec, run, name)
            handle.resources["container"] = container.id
            container.start()
            container.reload()
            # No mapping means the container already exited: _wait reports it with its log.
            mapping = container.ports.get(f"{spec.port}/tcp") or []
            port = int(mapping[0]["HostPort"]) if mapping else 0
            handle.port = port
            handle.fields = endpoint_fields(spec, self._host, port)
            self._wait(spec, container, handle)
        except BaseException:
            self.stop(handle)
            raise
        return handle

    def _create(self, spec: ServiceSpec, run: RunContext, name: str) -> Any:
        ports: dict[str, Any] = {f"{spec.port}/tcp": (self._bind, None)}
        ports.update({f"{p}/tcp": (self._bind, None) for p in spec.ports.values()})
        try:
            return self.client.containers.create(
                spec.image,
                command=[fill(a, spec.fields) for a in spec.container_command]
                if spec.container_command
                else None,
                environment=dict(spec.env),
                ports=ports,
                labels={**run.labels, SERVICE_LABEL: spec.name},
                name=name,
                tmpfs=dict.fromkeys(spec.tmpfs, ""),
                volumes={
                    host: {"bind": mount, "mode": "rw"} for host, mount in spec.volumes.items()
                },
                detach=True,
            )
        except _errors().ImageNotFound:
            raise ProvisionFailed(
                f"service '{spec.name}': image '{spec.image}' is not available locally"
                f" [services.{spec.name}.image]",
                hint="pull it, or build one from host binaries with"
                " 'python -m omnicloud.provision.images' and set the image to"
                " omnicloud-local/<name>",
            ) from None
        except _errors().APIError as exc:
            raise ProvisionFailed(
                f"service '{spec.name}': Docker refused the container: {exc}",
                hint=f"check services.{spec.name}",
            ) from None

    def _wait(self, spec: ServiceSpec, container: Any, handle: ServiceHandle) -> None:
        def logs() -> str:
            try:
                return bytes(container.logs(tail=200)).decode("utf-8", "replace")
            except _errors().APIError:
                return ""

        def died() -> str | None:
            container.reload()
            if container.status in ("exited", "dead"):
                return f"container exited with code {container.attrs['State']['ExitCode']}"
            return None

        target = ReadyTarget(spec.name, self._host, handle.port, handle.endpoint(), log_reader=logs)
        deadline = Deadline(spec.timeout, spec.ready.interval, spec.timeout_key)
        try:
            wait_ready(target, checks_for(spec.ready, spec.recipe), deadline, alive=died)
        except _errors().APIError as exc:
            raise failure(
                ProvisionFailed, target, "could not be inspected", str(exc), spec.timeout_key
            ) from None

    def stop(self, handle: ServiceHandle) -> None:
        ident = handle.resources.get("container")
        if ident:
            self._remove(str(ident))

    def _remove(self, ident: str) -> None:
        try:
            self.client.containers.get(ident).remove(force=True, v=True)
        except _errors().NotFound:
            return
        except _errors().APIError as exc:
            # 409 "removal of container ... is already in progress": a concurrent teardown
            # (a second signal, prune, the sweep) is removing it; that is the wanted outcome.
            if exc.status_code == HTTP_CONFLICT and "already in progress" in str(exc):
                return
            raise

    def alive(self, handle: ServiceHandle) -> bool:
        try:
            container = self.client.containers.get(handle.resources.get("container", ""))
        except _errors().NotFound:
            return False
        return bool(container.status == "running")

    def leftovers(self, live_runs: set[str], owner: str | None) -> list[Leftover]:
        # The plain listing (one API call) and not containers.list(), which inspects each
        # container and fails when one is removed meanwhile by its still-running owner.
        label = RUN_ID_LABEL if owner is None else f"{OWNER_LABEL}={owner}"
        listing = self.client.api.containers(all=True, filters={"label": label})
        found = []
        for item in listing:
            run_id = (item.get("Labels") or {}).get(RUN_ID_LABEL, "")
            if run_id not in live_runs:
                name = ",".join(n.lstrip("/") for n in item.get("Names") or [])
                found.append(Leftover("container", str(item["Id"]), run_id, name))
        return found

    def remove(self, leftover: Leftover) -> None:
        self._remove(leftover.ident)
