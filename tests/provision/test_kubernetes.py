"""The kubernetes provisioner: pure manifests and pod states, and the API interaction against the
local HTTP server serving the subset of the Kubernetes API omnicloud uses (``fake_kube``, shared
with the executor's tests; no API server can run on these machines). The pod's port is
"forwarded" to a real redis-server process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fake_kube import FakeCluster, serve
from omnicloud.config.models import ServiceConfig
from omnicloud.provision.base import OWNER_LABEL, RUN_ID_LABEL, RunContext, ServiceHandle
from omnicloud.provision.kubernetes import (
    KubernetesProvisioner,
    deployment_manifest,
    dns_label,
    namespace_manifest,
    pod_state,
    service_manifest,
    validate_manifest,
)
from omnicloud.provision.process import ProcessProvisioner
from omnicloud.provision.ready import ProvisionFailed
from omnicloud.provision.recipes import resolve_service
from service_guard import require_binary

# -- pure ----------------------------------------------------------------------------------------


def test_manifests_are_valid_client_models() -> None:
    spec = resolve_service(
        "postgres", ServiceConfig(tmpfs=["/var/lib/postgresql/data"], resources={"cpu": "500m"})
    )
    labels = {RUN_ID_LABEL: "r1"}
    deployment = deployment_manifest(spec, "ns-1", labels)
    assert type(validate_manifest(deployment)).__name__ == "V1Deployment"
    assert type(validate_manifest(service_manifest(spec, "ns-1", labels))).__name__ == "V1Service"
    assert type(validate_manifest(namespace_manifest("ns-1", labels))).__name__ == "V1Namespace"
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "postgres:16"
    assert {"name": "POSTGRES_PASSWORD", "value": "omnicloud"} in container["env"]
    assert container["args"][0] == "postgres"
    assert container["volumeMounts"] == [
        {"name": "tmpfs-0", "mountPath": "/var/lib/postgresql/data"}
    ]
    assert deployment["metadata"]["labels"][RUN_ID_LABEL] == "r1"


def test_manifests_are_pure() -> None:
    spec = resolve_service("redis", ServiceConfig())
    assert deployment_manifest(spec, "a", {}) == deployment_manifest(spec, "a", {})


def test_validation_finds_unknown_fields_and_missing_required_ones() -> None:
    spec = resolve_service("redis", ServiceConfig())
    typo = deployment_manifest(spec, "ns", {})
    typo["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Never"
    with pytest.raises(ValueError, match=r"containers\[0\]\.imagePullPolicyy"):
        validate_manifest(typo)
    nameless = deployment_manifest(spec, "ns", {})
    del nameless["spec"]["template"]["spec"]["containers"][0]["name"]
    with pytest.raises(ValueError, match="name"):
        validate_manifest(nameless)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}, "ready"),
        ({"phase": "Pending", "conditions": [{"type": "Ready", "status": "False"}]}, "waiting"),
        ({"phase": "Failed"}, "failed"),
        (
            {
                "phase": "Pending",
                "containerStatuses": [
                    {"state": {"waiting": {"reason": "ImagePullBackOff", "message": "no pull"}}}
                ],
            },
            "failed",
        ),
        (
            {
                "phase": "Pending",
                "containerStatuses": [{"state": {"waiting": {"reason": "ContainerCreating"}}}],
            },
            "waiting",
        ),
    ],
)
def test_pod_state_reads_pod_conditions(status: dict[str, Any], expected: str) -> None:
    assert pod_state({"status": status})[0] == expected


def test_dns_labels() -> None:
    assert dns_label("Omnicloud_Run.42") == "omnicloud-run-42"
    assert len(dns_label("x" * 100)) == 63


# -- the API subset, served locally --------------------------------------------------------------


@pytest.fixture
def cluster() -> Iterator[tuple[FakeCluster, str]]:
    state = FakeCluster()
    with serve(state) as url:
        yield state, url


class LocalRedisForwarder:
    """Stands for the websocket port-forward: 'the pod' is a real local redis-server."""

    opened: list[tuple[str, str, int]] = []

    def __init__(self, core: Any) -> None:
        self._process = ProcessProvisioner()
        self._handle: ServiceHandle | None = None

    def open(self, namespace: str, pod: str, port: int) -> tuple[str, int]:
        LocalRedisForwarder.opened.append((namespace, pod, port))
        run = RunContext("fwd", "h", _tmp_run_dir(), "k8s")
        self._handle = self._process.start(resolve_service("redis", ServiceConfig()), run)
        return self._handle.host, self._handle.port

    def close(self) -> None:
        if self._handle is not None:
            self._process.stop(self._handle)


def _tmp_run_dir() -> Path:
    import os
    import tempfile

    path = Path(tempfile.mkdtemp(dir=os.environ["OMNICLOUD_STATE_DIR"]))
    path.chmod(0o755)
    return path


def _run(tmp: Path, run_id: str = "6b01-abc") -> RunContext:
    return RunContext(run_id, "cfghash", tmp, "k8s")


@pytest.mark.services("redis")
def test_start_creates_namespace_deployment_service_waits_forwards_and_deletes(
    cluster: tuple[FakeCluster, str], tmp_path: Path
) -> None:
    require_binary("redis-server", "redis-server")
    state, url = cluster
    provisioner = KubernetesProvisioner(
        api_url=url, forwarder=LocalRedisForwarder, poll_interval=0.01
    )
    spec = resolve_service("redis", ServiceConfig())
    handle = provisioner.start(spec, _run(tmp_path))
    namespace = "omnicloud-6b01-abc"
    assert state.requests[:3] == [
        ("POST", "/api/v1/namespaces"),
        ("POST", f"/apis/apps/v1/namespaces/{namespace}/deployments"),
        ("POST", f"/api/v1/namespaces/{namespace}/services"),
    ]
    assert state.polls == 2  # readiness came from the pod's Ready condition
    deployment = state.bodies[f"/apis/apps/v1/namespaces/{namespace}/deployments"]
    validate_manifest(deployment)
    assert deployment["metadata"]["labels"][RUN_ID_LABEL] == "6b01-abc"
    assert state.labels_of(namespace)[RUN_ID_LABEL] == "6b01-abc"
    assert LocalRedisForwarder.opened[-1] == (namespace, "redis-7d9f-x2", 6379)

    import redis

    assert redis.Redis.from_url(handle.endpoint()["url"]).ping()
    assert handle.resources["namespace"] == namespace
    provisioner.stop(handle)
    assert state.requests[-1] == ("DELETE", f"/api/v1/namespaces/{namespace}")
    assert namespace not in state.namespaces


def test_a_crashing_pod_fails_with_its_reason_and_log_and_is_cleaned_up(
    cluster: tuple[FakeCluster, str], tmp_path: Path
) -> None:
    state, url = cluster
    state.pod_behaviour = "crash"
    provisioner = KubernetesProvisioner(
        api_url=url, forwarder=LocalRedisForwarder, poll_interval=0.01
    )
    with pytest.raises(ProvisionFailed) as info:
        provisioner.start(resolve_service("redis", ServiceConfig()), _run(tmp_path))
    message = info.value.message
    assert message.startswith(
        "service 'redis' pod redis-7d9f-x2 failed [services.redis.image];"
        " last error: CrashLoopBackOff: back-off 40s"
    )
    assert message.endswith("Server initialized\nFATAL: config broken")
    assert state.requests[-1] == ("DELETE", "/api/v1/namespaces/omnicloud-6b01-abc")


def test_prune_deletes_namespaces_of_dead_runs_of_this_owner_only(
    cluster: tuple[FakeCluster, str],
) -> None:
    state, url = cluster
    state.add_namespace("omnicloud-dead", {RUN_ID_LABEL: "dead", OWNER_LABEL: "me"})
    state.add_namespace("omnicloud-live", {RUN_ID_LABEL: "live", OWNER_LABEL: "me"})
    state.add_namespace("omnicloud-other", {RUN_ID_LABEL: "theirs", OWNER_LABEL: "someone-else"})
    state.add_namespace("kube-system", {})
    provisioner = KubernetesProvisioner(api_url=url)
    leftovers = provisioner.leftovers({"live"}, "me")
    assert [(item.kind, item.ident, item.run_id) for item in leftovers] == [
        ("namespace", "omnicloud-dead", "dead")
    ]
    provisioner.remove(leftovers[0])
    assert set(state.namespaces) == {"omnicloud-live", "omnicloud-other", "kube-system"}
    anyone = provisioner.leftovers({"live"}, None)
    assert [item.ident for item in anyone] == ["omnicloud-other"]


def test_kubernetes_environments_cannot_be_kept(tmp_path: Path) -> None:
    from omnicloud.config import parse_config
    from omnicloud.errors import InfrastructureError
    from omnicloud.provision.lifecycle import provision

    text = '[services.redis]\n[environments.k8s]\nprovisioner = "kubernetes"\nreuse = true\n'
    config = parse_config(text, tmp_path / "omnicloud.toml", environ={})
    with (
        pytest.raises(InfrastructureError, match="cannot be kept between runs") as info,
        provision(config, environment="k8s"),
    ):
        pytest.fail("must not start")
    assert "environments.k8s.reuse" in str(info.value.hint)
