"""``nats``: nats-server with JetStream in a private store dir; one name prefix per worker."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

from omnicloud.provision.kinds import Kind, Recipe
from omnicloud.provision.ready import NotReady, ReadyTarget

if TYPE_CHECKING:
    from omnicloud.provision.images import ImageSpec


class NatsPing:
    """The server greets with ``INFO``, and answers ``PING`` with ``PONG`` after ``CONNECT``."""

    def describe(self) -> str:
        return "nats PING"

    def check(self, target: ReadyTarget) -> None:
        with socket.create_connection((target.host, target.port), 1.0) as sock:
            sock.settimeout(1.0)
            greeting = sock.recv(4096)
            if not greeting.startswith(b"INFO "):
                raise NotReady(f"unexpected greeting {greeting[:80]!r}")
            sock.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\nPING\r\n')
            answer = sock.recv(256)
            if b"PONG" not in answer:
                raise NotReady(f"unexpected answer {answer[:80]!r}")


def worker_view(endpoint: dict[str, Any], worker: str, index: int) -> dict[str, Any]:
    """Name ``prefix`` ``"gw3_"``: valid in subject tokens and in stream and consumer names."""
    return {**endpoint, "prefix": f"{endpoint.get('prefix', '')}{worker}_"}


def local_image() -> ImageSpec:
    """``omnicloud-local/nats``: nats-server as the entrypoint, like the official image."""
    from omnicloud.provision.images import ImageSpec, host_binary, local_tag, service_account

    binary = host_binary("nats-server")
    return ImageSpec(
        tag=local_tag("nats"),
        binaries=(binary,),
        files=service_account("nats", "/tmp"),
        dirs={"/tmp": 0o1777},
        changes=("USER nats", "EXPOSE 4222", f'ENTRYPOINT ["{binary}"]', "CMD []"),
    )


KIND = Kind(
    name="nats",
    summary="NATS with JetStream (nats-server -js)",
    packages={"nats-server": "nats-server"},
    recipe=Recipe(
        name="nats",
        image="nats:2.10",
        port=4222,
        command=(
            "nats-server",
            "--addr",
            "127.0.0.1",
            "--port",
            "{port}",
            "--jetstream",
            "--store_dir",
            "{data_dir}/jetstream",
            "--server_name",
            "omnicloud",
        ),
        # The official image's entrypoint is nats-server: the command is its arguments.
        container_command=("--jetstream", "--store_dir", "/tmp/jetstream"),
        fields={"prefix": ""},
        url="nats://{host}:{port}",
        ready={"tcp": True, "ping": True},
    ),
    ping=NatsPing(),
    view=worker_view,
    isolation="name `prefix` `gwN_` for subjects, streams and consumers",
    local_image=local_image,
)
