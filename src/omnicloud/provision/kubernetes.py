"""``kubernetes``: a namespace per run, a Deployment + Service per service, port-forwarded.

Manifests are pure functions of the service spec (``namespace_manifest``,
``deployment_manifest``, ``service_manifest``) and are checked against the official client's
models by ``validate_manifest``. The provisioner creates them through the ``kubernetes`` client
(extra ``kubernetes``), waits for the pod's ``Ready`` condition, forwards a local port to the pod
(the client's websocket port-forward) and runs the readiness checks through it; stopping deletes
the namespace. No API server can run on the machines this project is developed on: the API
interaction is tested against a local HTTP server serving the subset of the API used.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from omnicloud.kube import (
    MANAGED_LABEL,
    api_client,
    client_module,
    dns_label,
    namespace_manifest,
    validate_manifest,
)
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
    ProvisionTimeout,
    ReadyTarget,
    checks_for,
    failure,
    wait_ready,
)
from omnicloud.provision.recipes import endpoint_fields, fill, require_port

HOST = "127.0.0.1"
APP_LABEL = "app.kubernetes.io/name"


# -- pure manifests -------------------------------------------------------------------------------


def _labels(spec: ServiceSpec, labels: Mapping[str, str]) -> dict[str, str]:
    return {
        **labels,
        SERVICE_LABEL: spec.name,
        APP_LABEL: dns_label(spec.name),
        MANAGED_LABEL: "omnicloud",
    }


def deployment_manifest(
    spec: ServiceSpec, namespace: str, labels: Mapping[str, str]
) -> dict[str, Any]:
    """One replica of the service's image, with its env, ports, tmpfs and resources."""
    name = dns_label(spec.name)
    all_labels = _labels(spec, labels)
    container: dict[str, Any] = {
        "name": name,
        "image": spec.image,
        "env": [{"name": k, "value": v} for k, v in sorted(spec.env.items())],
        "ports": [{"containerPort": spec.port, "name": "main"}]
        + [{"containerPort": p, "name": dns_label(n, 15)} for n, p in sorted(spec.ports.items())],
    }
    if spec.container_command:
        container["args"] = [fill(a, spec.fields) for a in spec.container_command]
    if spec.resources:
        container["resources"] = {"requests": dict(spec.resources), "limits": dict(spec.resources)}
    volumes = [
        {"name": f"tmpfs-{i}", "emptyDir": {"medium": "Memory"}} for i in range(len(spec.tmpfs))
    ]
    if volumes:
        container["volumeMounts"] = [
            {"name": f"tmpfs-{i}", "mountPath": path} for i, path in enumerate(spec.tmpfs)
        ]
    pod_spec: dict[str, Any] = {"containers": [container]}
    if volumes:
        pod_spec["volumes"] = volumes
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": all_labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {SERVICE_LABEL: spec.name}},
            "template": {"metadata": {"labels": all_labels}, "spec": pod_spec},
        },
    }


def service_manifest(
    spec: ServiceSpec, namespace: str, labels: Mapping[str, str]
) -> dict[str, Any]:
    name = dns_label(spec.name)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": _labels(spec, labels)},
        "spec": {
            "selector": {SERVICE_LABEL: spec.name},
            "ports": [{"name": "main", "port": spec.port, "targetPort": spec.port}],
        },
    }


# -- pod readiness (pure) ------------------------------------------------------------------------

_FATAL_WAITING = {
    "ErrImagePull",
    "ImagePullBackOff",
    "CrashLoopBackOff",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
}


def pod_state(pod: Mapping[str, Any]) -> tuple[str, str]:
    """``("ready" | "waiting" | "failed", reason)`` from a pod's status."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Failed", "Succeeded"):
        return "failed", f"pod phase {status['phase']}"
    for container in status.get("containerStatuses") or []:
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in _FATAL_WAITING:
            return "failed", f"{waiting['reason']}: {waiting.get('message', '')}".strip(": ")
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready" and condition.get("status") == "True":
            return "ready", "Ready"
    return "waiting", f"pod phase {status.get('phase', 'Pending')}, not Ready yet"


# -- port-forward --------------------------------------------------------------------------------


class Forwarder(Protocol):
    def open(self, namespace: str, pod: str, port: int) -> tuple[str, int]: ...

    def close(self) -> None: ...


#: Opens the API server's port-forward stream to a pod port: (core API, namespace, pod, port).
StreamOpener = Callable[[Any, str, str, int], Any]


def api_stream(core: Any, namespace: str, pod: str, port: int) -> Any:
    """The client's websocket port-forward to ``pod``'s ``port``, through the API server."""
    from kubernetes.stream import portforward

    return portforward(core.connect_get_namespaced_pod_portforward, pod, namespace, ports=str(port))


class PodPortForward:
    """Forwards a local port to a pod port through the API server (one stream per connection)."""

    def __init__(self, core: Any, open_stream: StreamOpener = api_stream) -> None:
        self._core = core
        self._open_stream = open_stream
        self._listeners: list[socket.socket] = []
        self._closed = threading.Event()
        #: Why a connection could not be forwarded (the API server refused the stream).
        self.errors: list[str] = []

    def open(self, namespace: str, pod: str, port: int) -> tuple[str, int]:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((HOST, 0))
        listener.listen(16)
        listener.settimeout(0.2)
        self._listeners.append(listener)
        threading.Thread(
            target=self._accept, args=(listener, namespace, pod, port), daemon=True
        ).start()
        return HOST, int(listener.getsockname()[1])

    def _accept(self, listener: socket.socket, namespace: str, pod: str, port: int) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(
                target=self._relay, args=(conn, namespace, pod, port), daemon=True
            ).start()

    def _relay(self, conn: socket.socket, namespace: str, pod: str, port: int) -> None:
        try:
            stream = self._open_stream(self._core, namespace, pod, port)
        except Exception as exc:
            # Closed at once: the client sees the connection end instead of waiting forever.
            self.errors.append(f"port-forward to {namespace}/{pod}:{port}: {exc}")
            conn.close()
            return
        try:
            _pump(conn, stream.socket(port), self._closed)
        finally:
            conn.close()
            stream.close()

    def close(self) -> None:
        self._closed.set()
        for listener in self._listeners:
            listener.close()


def _pump(a: Any, b: Any, closed: threading.Event) -> None:
    while not closed.is_set():
        readable, _, _ = select.select([a, b], [], [], 0.2)
        for source in readable:
            data = source.recv(65536)
            if not data:
                return
            (b if source is a else a).sendall(data)


# -- the provisioner -----------------------------------------------------------------------------


class KubernetesProvisioner:
    """Deployment + Service per service in a per-run namespace, reached by port-forward."""

    name = "kubernetes"
    reusable = False
    port_forward = True
    prunable = True
    environment_keys: tuple[str, ...] = ("namespace", "context")

    def __init__(
        self,
        namespace: str | None = None,
        context: str | None = None,
        api_url: str | None = None,
        forwarder: Callable[[Any], Forwarder] | None = None,
        poll_interval: float = 0.5,
    ) -> None:
        self._namespace = namespace
        self._context = context
        self._api_url = api_url
        self._forwarder_factory = forwarder or PodPortForward
        self._poll = poll_interval
        self._api: Any = None
        self._forwarders: dict[str, Forwarder] = {}

    def _clients(self) -> tuple[Any, Any]:
        if self._api is None:
            self._api = api_client(self._api_url, self._context, user="provisioner")
        kubernetes = client_module("provisioner")
        return kubernetes.client.CoreV1Api(self._api), kubernetes.client.AppsV1Api(self._api)

    def namespace_for(self, run: RunContext) -> str:
        return self._namespace or dns_label(f"omnicloud-{run.run_id}")

    def start(self, spec: ServiceSpec, run: RunContext) -> ServiceHandle:
        if not spec.image:
            raise ProvisionFailed(
                f"service '{spec.name}' has no image for kubernetes",
                hint=f"set services.{spec.name}.image",
            )
        require_port(spec, self.name)
        core, apps = self._clients()
        namespace = self.namespace_for(run)
        owns = self._namespace is None
        handle = ServiceHandle(
            spec.name,
            self.name,
            HOST,
            0,
            resources={
                "namespace": namespace,
                "owns_namespace": owns,
                "run_id": run.run_id,
                "deployment": dns_label(spec.name),
            },
        )
        try:
            self._apply(core, apps, spec, run, namespace=namespace, owns=owns)
            pod = self._wait_for_pod(core, spec, namespace)
            handle.resources["pod"] = pod
            forwarder = self._forwarder_factory(core)
            self._forwarders[spec.name] = forwarder
            handle.host, handle.port = forwarder.open(namespace, pod, spec.port)
            handle.fields = endpoint_fields(spec, handle.host, handle.port)
            target = ReadyTarget(
                spec.name,
                handle.host,
                handle.port,
                handle.endpoint(),
                log_reader=lambda: self._pod_log(core, namespace, pod),
            )
            deadline = Deadline(spec.timeout, spec.ready.interval, spec.timeout_key)
            wait_ready(target, checks_for(spec.ready, spec.recipe), deadline)
        except BaseException:
            self.stop(handle)
            raise
        return handle

    def _apply(
        self,
        core: Any,
        apps: Any,
        spec: ServiceSpec,
        run: RunContext,
        *,
        namespace: str,
        owns: bool,
    ) -> None:
        labels = run.labels
        if owns:
            body = namespace_manifest(namespace, labels)
            validate_manifest(body)
            with _ignoring(409):
                core.create_namespace(body)
        deployment = deployment_manifest(spec, namespace, labels)
        service = service_manifest(spec, namespace, labels)
        validate_manifest(deployment)
        validate_manifest(service)
        apps.create_namespaced_deployment(namespace, deployment)
        core.create_namespaced_service(namespace, service)

    def _wait_for_pod(self, core: Any, spec: ServiceSpec, namespace: str) -> str:
        """Poll the service's pods until one is Ready (pod conditions); fail fast on a bad pod."""
        start = time.monotonic()
        reason, pod_name = "no pod yet", ""
        selector = f"{SERVICE_LABEL}={spec.name}"
        while time.monotonic() - start < spec.timeout:
            for pod in self._as_dicts(core.list_namespaced_pod(namespace, label_selector=selector)):
                pod_name = str(pod["metadata"]["name"])
                state, reason = pod_state(pod)
                if state == "ready":
                    return pod_name
                if state == "failed":
                    target = self._pod_target(core, spec, namespace, pod_name)
                    key = f"services.{spec.name}.image"
                    raise failure(ProvisionFailed, target, f"pod {pod_name} failed", reason, key)
            time.sleep(self._poll)
        target = self._pod_target(core, spec, namespace, pod_name)
        what = f"pod not Ready after {spec.timeout:g}s"
        raise failure(ProvisionTimeout, target, what, reason, spec.timeout_key)

    def _pod_target(self, core: Any, spec: ServiceSpec, namespace: str, pod: str) -> ReadyTarget:
        return ReadyTarget(
            spec.name, namespace, spec.port, log_reader=lambda: self._pod_log(core, namespace, pod)
        )

    def _as_dicts(self, listing: Any) -> list[dict[str, Any]]:
        """A list response's items as the API's own JSON shape (camelCase keys)."""
        data: dict[str, Any] = self._api.sanitize_for_serialization(listing)
        return list(data.get("items") or [])

    def _pod_log(self, core: Any, namespace: str, pod: str) -> str:
        if not pod:
            return ""
        try:
            return str(core.read_namespaced_pod_log(pod, namespace, tail_lines=50))
        except Exception:
            return ""

    def stop(self, handle: ServiceHandle) -> None:
        forwarder = self._forwarders.pop(handle.name, None)
        if forwarder is not None:
            forwarder.close()
        core, apps = self._clients()
        namespace = str(handle.resources["namespace"])
        if handle.resources.get("owns_namespace"):
            with _ignoring(404):
                core.delete_namespace(namespace)
            return
        name = str(handle.resources["deployment"])
        with _ignoring(404):
            apps.delete_namespaced_deployment(name, namespace)
        with _ignoring(404):
            core.delete_namespaced_service(name, namespace)

    def alive(self, handle: ServiceHandle) -> bool:
        # A port-forward dies with the process that opened it: kept services cannot be reused.
        return handle.name in self._forwarders

    def leftovers(self, live_runs: set[str], owner: str | None) -> list[Leftover]:
        core, _ = self._clients()
        found = []
        selector = RUN_ID_LABEL if owner is None else f"{OWNER_LABEL}={owner}"
        for item in self._as_dicts(core.list_namespace(label_selector=selector)):
            run_id = (item["metadata"].get("labels") or {}).get(RUN_ID_LABEL, "")
            if run_id not in live_runs:
                found.append(Leftover("namespace", item["metadata"]["name"], run_id))
        return found

    def remove(self, leftover: Leftover) -> None:
        core, _ = self._clients()
        with _ignoring(404):
            core.delete_namespace(leftover.ident)


@contextlib.contextmanager
def _ignoring(*statuses: int) -> Iterator[None]:
    """Ignore the client's ``ApiException`` with one of ``statuses`` (404 on delete, ...)."""
    api_exception = client_module("provisioner").client.exceptions.ApiException
    try:
        yield
    except api_exception as exc:
        if getattr(exc, "status", None) not in statuses:
            raise


__all__ = [
    "KubernetesProvisioner",
    "deployment_manifest",
    "dns_label",
    "namespace_manifest",
    "pod_state",
    "service_manifest",
    "validate_manifest",
]
