"""What every interface mixin of the Redis store shares: the client, key names and codecs.

The store talks to Redis with a *bytes* client (``decode_responses=False``): payloads of streams,
queues and pub/sub messages are arbitrary bytes, and strings are decoded here, in one place.
"""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from collections.abc import Mapping
from typing import Any

from omnicloud.providers.redis._base import connect
from omnicloud.providers.redis._client import redis_asyncio


def response_error() -> type[Exception]:
    """redis-py's ``ResponseError``: a command the server refused (wrong type, no group...)."""
    module = redis_asyncio()
    error: type[Exception] = module.client.ResponseError
    return error


def watch_error() -> type[Exception]:
    """redis-py's ``WatchError``: an ``EXEC`` refused because a watched key changed."""
    module = redis_asyncio()
    error: type[Exception] = module.client.WatchError
    return error


async def connect_bytes(url: str, max_connections: int = 64, **options: Any) -> Any:
    """A bytes client for ``url``, checked with ``PING``.

    A blocking pool makes bursts of concurrent calls (and blocking pops, which hold a
    connection while they wait) queue for a connection instead of failing.
    """
    return await connect(url, decode_responses=False, max_connections=max_connections, **options)


def text(value: bytes | str | None) -> str | None:
    """A reply decoded as UTF-8 (``None`` stays ``None``)."""
    if value is None or isinstance(value, str):
        return value
    return value.decode("utf-8")


def must_text(value: bytes | str) -> str:
    return value if isinstance(value, str) else value.decode("utf-8")


def positive(name: str, value: float | None) -> None:
    """``ValueError`` unless ``value`` is None or > 0 (NaN is not > 0)."""
    if value is not None and not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def milliseconds(seconds: float) -> int:
    """A positive duration in whole milliseconds, rounded up (Redis's finest unit)."""
    return max(1, math.ceil(seconds * 1000))


def pack(payload: bytes, metadata: Mapping[str, str] | None, **header: Any) -> bytes:
    """One binary-safe record: a JSON header line, then the payload bytes untouched."""
    head = json.dumps({"m": dict(metadata or {}), **header}, separators=(",", ":"))
    return head.encode("utf-8") + b"\n" + bytes(payload)


def unpack(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The header and payload written by ``pack``."""
    head, _, payload = data.partition(b"\n")
    header: dict[str, Any] = json.loads(head)
    return header, payload


class RedisCore:
    """Owns the client and the instance's key space ``<prefix><random id>:``."""

    def __init__(self, client: Any, prefix: str = "", namespace: str | None = None) -> None:
        self._client = client
        # A random id per instance by default: two providers on one server (or one database)
        # never see each other's keys, so the suites' isolation holds without flushing anything.
        # An application that must reopen its data passes a fixed namespace instead.
        self._ns = f"{prefix}{uuid.uuid4().hex[:12] if namespace is None else namespace}:"
        self._loop = asyncio.get_running_loop()
        self._scripts: dict[str, Any] = {}

    def _key(self, kind: str, name: str) -> str:
        """The Redis key of ``name`` in family ``kind``; the kind keeps families apart."""
        return f"{self._ns}{kind}:{name}"

    def _script(self, source: str) -> Any:
        """A registered Lua script (EVALSHA, loaded on first use), cached per source text."""
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts[source] = self._client.register_script(source)
        return script

    async def _close_extras(self) -> None:
        """Mixins with their own connections or tasks extend this."""

    async def _close_here(self) -> None:
        await self._close_extras()
        await self._client.aclose()

    async def aclose(self) -> None:
        """Close the connections on the loop that opened them (redis-py's are bound to it).

        From another loop: if the owning loop still runs (in another thread), the close is
        handed to it; if it has closed, its transports closed with it and nothing is left.
        """
        if self._loop.is_closed():
            return
        if self._loop is asyncio.get_running_loop():
            await self._close_here()
        elif self._loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._close_here(), self._loop)
            await asyncio.wrap_future(future)

    async def close(self) -> None:
        await self.aclose()
