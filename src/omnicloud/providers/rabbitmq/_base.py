"""What every RabbitMQ provider shares: one connection and channel, a private name prefix.

Every exchange and queue a provider declares is named ``<prefix><8 hex>.<kind>...``: the
``prefix`` is the isolation key (``{services.rabbitmq.prefix}``; the provisioner also gives each
worker its own virtual host in the url), the random part isolates instances from each other,
and ``aclose`` deletes exactly what the instance declared.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from omnicloud.providers.rabbitmq._client import aio_pika

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
#: AMQP 0-9-1 short strings: queue, exchange names and routing keys are at most 255 bytes.
MAX_NAME = 255
INTERNAL = "omnicloud-"


def check_name(name: str) -> str:
    if len(name.encode()) > MAX_NAME:
        raise ValueError(f"name too long for AMQP (max {MAX_NAME} bytes): {name[:40]!r}...")
    return name


def check_metadata(metadata: Any) -> dict[str, str]:
    """Metadata travels as AMQP headers: keys starting with ``x-`` belong to RabbitMQ and
    ``omnicloud-`` to this provider, so they are refused."""
    found = dict(metadata or {})
    for key in found:
        if key.startswith(("x-", INTERNAL)):
            raise ValueError(f"metadata key {key!r}: 'x-' and {INTERNAL!r} keys are reserved")
    return {str(k): str(v) for k, v in found.items()}


def user_headers(headers: Any) -> dict[str, str]:
    """Application metadata from AMQP headers (RabbitMQ's and ours left out)."""
    return {
        str(k): v.decode() if isinstance(v, bytes) else str(v)
        for k, v in (headers or {}).items()
        if not str(k).startswith(("x-", INTERNAL))
    }


class RabbitBase:
    """Owns one connection and one channel; what it declares is deleted at close."""

    def __init__(self, connection: Any, channel: Any, prefix: str = "", **options: Any) -> None:
        del options  # read by the family modules
        self._connection = connection
        self._channel = channel
        self._ns = f"{prefix}{uuid.uuid4().hex[:8]}."
        self._loop = asyncio.get_running_loop()
        self._queues: dict[str, Any] = {}
        self._exchanges: dict[str, Any] = {}
        self._declaring: dict[str, asyncio.Lock] = {}

    def _name(self, kind: str, name: str) -> str:
        return check_name(f"{self._ns}{kind}.{name}")

    async def _declare_queue(self, name: str, **settings: Any) -> Any:
        """Declare queue ``name`` once per instance (concurrent callers wait for the first)."""
        found = self._queues.get(name)
        if found is not None:
            return found
        async with self._declaring.setdefault(name, asyncio.Lock()):
            if name not in self._queues:
                self._queues[name] = await self._channel.declare_queue(name, **settings)
        return self._queues[name]

    async def _declare_exchange(self, name: str, kind: str) -> Any:
        found = self._exchanges.get(name)
        if found is None:
            found = await self._channel.declare_exchange(name, kind, auto_delete=False)
            self._exchanges[name] = found
        return found

    async def aclose(self) -> None:
        """Delete what this instance declared, close the connection (on the loop that made
        it; from another loop the connection is left to its own, closed, loop)."""
        if self._loop.is_closed() or self._loop is not asyncio.get_running_loop():
            return
        try:
            if not self._channel.is_closed:
                for queue in self._queues.values():
                    with contextlib.suppress(Exception):
                        await queue.delete(if_unused=False, if_empty=False)
                for exchange in self._exchanges.values():
                    with contextlib.suppress(Exception):
                        await exchange.delete()
        finally:
            await self._connection.close()


async def connect(url: str, timeout: float = 5.0) -> tuple[Any, Any]:
    """A plain (not auto-reconnecting) connection and a channel with publisher confirms."""
    connection = await aio_pika().connect(url, timeout=timeout)
    try:
        channel = await connection.channel(publisher_confirms=True)
    except BaseException:
        await connection.close()
        raise
    return connection, channel
