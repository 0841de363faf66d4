"""``redis``: redis-server with no persistence, 64 databases, one database per xdist worker."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from omnicloud.provision.kinds import Kind, Recipe
from omnicloud.provision.ready import NotReady, ReadyTarget

if TYPE_CHECKING:
    from omnicloud.provision.images import ImageSpec

DATABASES = 64  # servers start with --databases 64: worker n uses database 1 + n % 63
_FLAGS = (
    "--save",
    "",
    "--appendonly",
    "no",
    "--databases",
    str(DATABASES),
    "--protected-mode",
    "no",
)


class RedisPing:
    """Redis answers ``PING`` with ``PONG`` (spoken over a raw socket: no client needed)."""

    def describe(self) -> str:
        return "redis PING"

    def check(self, target: ReadyTarget) -> None:
        with socket.create_connection((target.host, target.port), 1.0) as sock:
            sock.settimeout(1.0)
            password = target.fields.get("password")
            if password:
                sock.sendall(_resp("AUTH", str(password)))
                _expect(sock, b"+OK")
            sock.sendall(_resp("PING"))
            _expect(sock, b"+PONG")


def _resp(*parts: str) -> bytes:
    out = [f"*{len(parts)}\r\n".encode()]
    for part in parts:
        data = part.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _expect(sock: socket.socket, prefix: bytes) -> None:
    answer = sock.recv(256)
    if not answer.startswith(prefix):
        raise NotReady(f"unexpected answer {answer[:80]!r}")


def worker_view(endpoint: dict[str, Any], worker: str, index: int) -> dict[str, Any]:
    """Database ``1 + index % 63`` (``db`` and ``url``) and key ``prefix`` ``"gw3:"``."""
    db = 1 + index % (DATABASES - 1)
    parts = urlsplit(str(endpoint.get("url", "")))
    url = urlunsplit(parts._replace(path=f"/{db}")) if parts.scheme else endpoint.get("url")
    return {**endpoint, "db": db, "url": url, "prefix": f"{endpoint.get('prefix', '')}{worker}:"}


def local_image() -> ImageSpec:
    """``omnicloud-local/redis``: redis-server and its libraries, run as an unprivileged user."""
    from omnicloud.provision.images import ImageSpec, host_binary, local_tag, service_account

    return ImageSpec(
        tag=local_tag("redis"),
        binaries=(host_binary("redis-server"),),
        files=service_account("redis", "/data"),
        dirs={"/data": 0o755, "/tmp": 0o1777},
        changes=(
            "ENV PATH=/usr/local/bin:/usr/bin:/bin",
            "WORKDIR /data",
            "USER redis",
            "EXPOSE 6379",
            'CMD ["redis-server", "--protected-mode", "no"]',
        ),
    )


KIND = Kind(
    name="redis",
    summary="Redis (redis-server), no persistence",
    packages={"redis-server": "redis-server"},
    recipe=Recipe(
        name="redis",
        image="redis:7",
        port=6379,
        command=(
            "redis-server",
            "--port",
            "{port}",
            "--bind",
            "127.0.0.1",
            "--dir",
            "{data_dir}",
            *_FLAGS,
        ),
        container_command=("redis-server", *_FLAGS),
        fields={"db": 0, "prefix": ""},
        url="redis://{host}:{port}/{db}",
        ready={"tcp": True, "ping": True},
        password_args=("--requirepass", "{password}"),
        password_url="redis://:{password}@{host}:{port}/{db}",
    ),
    ping=RedisPing(),
    view=worker_view,
    isolation="database `1 + n % 63` in `db` and `url`, key `prefix` `gwN:`",
    local_image=local_image,
)
