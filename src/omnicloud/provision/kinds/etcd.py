"""``etcd``: a single-member etcd (v3 API and its JSON gateway); one key prefix per worker."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from omnicloud.provision.kinds import Kind, Recipe
from omnicloud.provision.kinds._http import http_get
from omnicloud.provision.ready import NotReady, ReadyTarget

if TYPE_CHECKING:
    from omnicloud.provision.images import ImageSpec

_CLUSTER = "omnicloud"


class EtcdPing:
    """``GET /health`` answers ``{"health": "true"}`` (the member has a leader and serves)."""

    def describe(self) -> str:
        return "etcd /health"

    def check(self, target: ReadyTarget) -> None:
        body = http_get(f"http://{target.host}:{target.port}/health")
        try:
            healthy = json.loads(body).get("health") == "true"
        except (ValueError, AttributeError):
            healthy = False
        if not healthy:
            raise NotReady(f"unhealthy: {body[:120]!r}")


def worker_view(endpoint: dict[str, Any], worker: str, index: int) -> dict[str, Any]:
    """Key ``prefix`` ``"gw3/"`` (after any configured prefix)."""
    return {**endpoint, "prefix": f"{endpoint.get('prefix', '')}{worker}/"}


def _flags(client: str, advertise: str, peer: str) -> tuple[str, ...]:
    return (
        "--name",
        _CLUSTER,
        "--listen-client-urls",
        client,
        "--advertise-client-urls",
        advertise,
        "--listen-peer-urls",
        peer,
        "--initial-advertise-peer-urls",
        peer,
        "--initial-cluster",
        f"{_CLUSTER}={peer}",
        "--logger",
        "zap",
        "--log-outputs",
        "stderr",
        # Tests need no point-in-time recovery: fewer snapshots, less disk work.
        "--snapshot-count",
        "1000000",
    )


def local_image() -> ImageSpec:
    """``omnicloud-local/etcd``: the etcd binary, run by the recipe's container command."""
    from omnicloud.provision.images import ImageSpec, host_binary, local_tag, service_account

    binary = host_binary("etcd")
    return ImageSpec(
        tag=local_tag("etcd"),
        binaries=(binary,),
        files=service_account("etcd", "/tmp"),
        dirs={"/tmp": 0o1777},
        changes=(
            f"ENV PATH={os.path.dirname(binary)}:/usr/bin:/bin",
            "USER etcd",
            "EXPOSE 2379",
            'CMD ["etcd"]',
        ),
    )


KIND = Kind(
    name="etcd",
    summary="etcd v3 (single member; gRPC and the /v3 JSON gateway on one port)",
    packages={"etcd": "etcd-server"},
    recipe=Recipe(
        name="etcd",
        image="quay.io/coreos/etcd:v3.5.17",
        port=2379,
        command=(
            "etcd",
            "--data-dir",
            "{data_dir}/etcd",
            *_flags(
                "http://127.0.0.1:{port}",
                "http://127.0.0.1:{port}",
                "http://127.0.0.1:{ports.peer}",
            ),
        ),
        container_command=(
            "etcd",
            "--data-dir",
            "/tmp/etcd",
            *_flags("http://0.0.0.0:2379", "http://127.0.0.1:2379", "http://127.0.0.1:2380"),
        ),
        fields={"prefix": ""},
        url="http://{host}:{port}",
        ready={"tcp": True, "ping": True},
        local_ports=("peer",),
    ),
    ping=EtcdPing(),
    view=worker_view,
    isolation="key `prefix` `gwN/`",
    local_image=local_image,
)
