"""``moto``: the AWS wire protocol (S3, SQS, Secrets Manager...) served by ``moto_server``."""

from __future__ import annotations

from typing import Any

from omnicloud.provision.kinds import Kind, Recipe
from omnicloud.provision.kinds._http import http_get
from omnicloud.provision.ready import ReadyTarget


class MotoPing:
    """The moto dashboard API answers (``GET /moto-api/data.json``): every backend is loaded."""

    def describe(self) -> str:
        return "moto /moto-api/data.json"

    def check(self, target: ReadyTarget) -> None:
        http_get(f"http://{target.host}:{target.port}/moto-api/data.json")


def worker_view(endpoint: dict[str, Any], worker: str, index: int) -> dict[str, Any]:
    """Name ``prefix`` ``"gw3-"``: valid in bucket, queue and secret names."""
    return {**endpoint, "prefix": f"{endpoint.get('prefix', '')}{worker}-"}


KIND = Kind(
    name="moto",
    summary="AWS APIs (S3, SQS, Secrets Manager...) served by moto_server",
    packages={"moto_server": "pip: moto[server]"},
    recipe=Recipe(
        name="moto",
        image="motoserver/moto:5.1.0",
        port=5000,
        command=("moto_server", "-H", "127.0.0.1", "-p", "{port}"),
        container_command=("-H", "0.0.0.0", "-p", "5000"),
        fields={
            "region": "us-east-1",
            "access_key_id": "testing",
            "secret_access_key": "testing",
            "prefix": "",
        },
        url="http://{host}:{port}",
        ready={"tcp": True, "ping": True},
    ),
    ping=MotoPing(),
    view=worker_view,
    isolation="name `prefix` `gwN-` for buckets, queues and secrets",
)
