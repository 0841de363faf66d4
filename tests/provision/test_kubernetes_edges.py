"""The kubernetes provisioner's remaining paths against the local API server (``fake_kube``): a
namespace given by the environment (not owned, not deleted), a pod that never turns Ready, an API
refusal that is not "already gone", and the port-forward's relay. The API server's websocket
stream is the one part no local server offers: the relay is given a stream to a real redis-server
instead, and the client's own stream is shown refused by the local server."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fake_kube import FakeCluster, serve
from omnicloud.config.models import ServiceConfig
from omnicloud.provision.base import Leftover, RunContext, ServiceHandle, ServiceSpec
from omnicloud.provision.kubernetes import (
    KubernetesProvisioner,
    PodPortForward,
    deployment_manifest,
)
from omnicloud.provision.process import ProcessProvisioner
from omnicloud.provision.ready import ProvisionFailed, ProvisionTimeout
from omnicloud.provision.recipes import resolve_service
from service_guard import require_binary


@pytest.fixture
def cluster() -> Iterator[tuple[FakeCluster, str]]:
    state = FakeCluster()
    with serve(state) as url:
        yield state, url


def _redis(**changes: Any) -> ServiceSpec:
    return dataclasses.replace(resolve_service("redis", ServiceConfig()), **changes)


def _run(tmp: Path) -> RunContext:
    return RunContext("6b02-def", "cfghash", tmp, "k8s")


def test_a_deployment_without_container_command_keeps_the_image_entrypoint() -> None:
    manifest = deployment_manifest(_redis(container_command=None), "ns", {})
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    assert "args" not in container
    assert container["image"] == _redis().image


def test_a_service_without_image_is_refused_before_any_api_call(
    cluster: tuple[FakeCluster, str], tmp_path: Path
) -> None:
    state, url = cluster
    with pytest.raises(ProvisionFailed, match="service 'redis' has no image for kubernetes"):
        KubernetesProvisioner(api_url=url).start(_redis(image=None), _run(tmp_path))
    assert state.requests == []


def test_a_pod_never_ready_times_out_with_its_log_and_is_cleaned_up(
    cluster: tuple[FakeCluster, str], tmp_path: Path
) -> None:
    state, url = cluster
    state.pod_behaviour = "pending"
    provisioner = KubernetesProvisioner(api_url=url, poll_interval=0.01)
    with pytest.raises(ProvisionTimeout) as info:
        provisioner.start(_redis(timeout=0.3), _run(tmp_path))
    message = info.value.message
    assert message.startswith("service 'redis' pod not Ready after 0.3s")
    assert "not ready (Ready=False)" in message or "Pending" in message
    assert message.endswith("FATAL: config broken")  # the pod's log tail
    assert state.polls >= 2
    assert state.requests[-1] == ("DELETE", "/api/v1/namespaces/omnicloud-6b02-def")


def test_pod_logs_of_no_pod_or_an_unknown_pod_read_as_empty(
    cluster: tuple[FakeCluster, str],
) -> None:
    _, url = cluster
    provisioner = KubernetesProvisioner(api_url=url)
    core, _ = provisioner._clients()
    assert provisioner._pod_log(core, "ns", "") == ""
    assert provisioner._pod_log(core, "ns", "no-such-pod") == ""  # 404 from the API


def test_a_refused_delete_is_raised_not_ignored(cluster: tuple[FakeCluster, str]) -> None:
    from kubernetes.client.exceptions import ApiException

    state, url = cluster
    state.add_namespace("omnicloud-x", {})
    state.forbid.add("DELETE /api/v1/namespaces")
    handle = ServiceHandle(
        "redis",
        "kubernetes",
        "h",
        1,
        resources={"namespace": "omnicloud-x", "owns_namespace": True},
    )
    with pytest.raises(ApiException) as info:
        KubernetesProvisioner(api_url=url).stop(handle)
    assert info.value.status == 403
    assert "omnicloud-x" in state.namespaces
    state.forbid.clear()
    provisioner = KubernetesProvisioner(api_url=url)
    provisioner.remove(Leftover("namespace", "omnicloud-x", "run"))
    provisioner.remove(Leftover("namespace", "omnicloud-x", "run"))  # already gone: 404 ignored
    assert "omnicloud-x" not in state.namespaces


# -- port-forward ---------------------------------------------------------------------------------


class TcpStream:
    """Stands for the API server's port-forward stream: a TCP connection to the real server."""

    def __init__(self, address: tuple[str, int]) -> None:
        self._sock = socket.create_connection(address, 2)
        self.closed = False

    def socket(self, port: int) -> socket.socket:
        return self._sock

    def close(self) -> None:
        self.closed = True
        self._sock.close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[ServiceHandle]:
    require_binary("redis-server", "redis-server")
    process = ProcessProvisioner()
    handle = process.start(_redis(), RunContext("pod", "h", tmp_path, "k8s"))
    try:
        yield handle
    finally:
        process.stop(handle)


def _exchange(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    return sock.recv(100)


@pytest.mark.services("redis")
def test_a_given_namespace_is_used_forwarded_and_left_in_place(
    cluster: tuple[FakeCluster, str], tmp_path: Path, redis_server: ServiceHandle
) -> None:
    state, url = cluster
    opened: list[tuple[str, str, int]] = []
    streams: list[TcpStream] = []

    def open_stream(core: Any, namespace: str, pod: str, port: int) -> TcpStream:
        opened.append((namespace, pod, port))
        streams.append(TcpStream((redis_server.host, redis_server.port)))
        return streams[-1]

    provisioner = KubernetesProvisioner(
        namespace="team-ns",
        api_url=url,
        forwarder=lambda core: PodPortForward(core, open_stream),
        poll_interval=0.01,
    )
    handle = provisioner.start(_redis(), _run(tmp_path))
    assert ("POST", "/api/v1/namespaces") not in state.requests  # not ours to create
    assert handle.resources["owns_namespace"] is False
    assert provisioner.alive(handle)
    with socket.create_connection((handle.host, handle.port), 2) as client:
        assert _exchange(client, b"PING\r\n") == b"+PONG\r\n"
    with socket.create_connection((handle.host, handle.port), 2) as client:
        assert _exchange(client, b"QUIT\r\n") == b"+OK\r\n"
        assert client.recv(100) == b""  # the server closed: the relay closes the client too
    idle = socket.create_connection((handle.host, handle.port), 2)
    assert _exchange(idle, b"PING\r\n") == b"+PONG\r\n"
    assert all(o == ("team-ns", "redis-7d9f-x2", 6379) for o in opened)
    provisioner.stop(handle)
    idle.settimeout(2)
    assert idle.recv(100) == b""  # stopping ends open connections
    idle.close()
    assert all(s.closed for s in streams)
    assert not provisioner.alive(handle)
    assert state.requests[-2:] == [
        ("DELETE", "/apis/apps/v1/namespaces/team-ns/deployments/redis"),
        ("DELETE", "/api/v1/namespaces/team-ns/services/redis"),
    ]


def test_a_refused_port_forward_closes_the_client_and_says_why(
    cluster: tuple[FakeCluster, str],
) -> None:
    # The local API server has no websocket port-forward: the client's own stream is refused.
    _, url = cluster
    provisioner = KubernetesProvisioner(api_url=url)
    core, _ = provisioner._clients()
    forward = PodPortForward(core)
    host, port = forward.open("ns", "pod-1", 6379)
    try:
        with socket.create_connection((host, port), 2) as client:
            client.settimeout(10)
            assert client.recv(100) == b""
        assert len(forward.errors) == 1
        assert forward.errors[0].startswith("port-forward to ns/pod-1:6379: ")
    finally:
        forward.close()
