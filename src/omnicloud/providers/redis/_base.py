"""What every Redis provider shares: a lazily imported client and collision-free key names."""

from __future__ import annotations

import asyncio
from typing import Any

from omnicloud.providers.redis._client import redis_asyncio

DEFAULT_URL = "redis://127.0.0.1:6379/0"


async def connect(url: str, *, decode_responses: bool = True, **client_options: Any) -> Any:
    """An asyncio Redis client for ``url``, checked with ``PING`` so a wrong URL fails here
    (a text client unless ``decode_responses=False``).

    The client owns its connection pool, so ``aclose`` closes every connection it opened.
    """
    module = redis_asyncio()
    # A blocking pool makes bursts of concurrent calls wait for a connection instead of failing
    # with "Too many connections".
    options = {"max_connections": 32, "timeout": 30, **client_options}
    pool = module.BlockingConnectionPool.from_url(url, decode_responses=decode_responses, **options)
    client = module.Redis.from_pool(pool)
    try:
        await client.ping()
    except BaseException:
        await client.aclose()
        raise
    return client


def namespaced(prefix: str, tenant_id: str | None, kind: str, key: str) -> str:
    """``prefix`` + kind + tenant + key, length-prefixed so no two (tenant, key) pairs collide."""
    if tenant_id is None:
        return f"{prefix}{kind}:{key}"
    return f"{prefix}{kind}@{len(tenant_id)}:{tenant_id}:{key}"


class RedisProvider:
    """Base of the Redis providers: owns one client, closed by ``aclose``."""

    kind = "kv"

    def __init__(self, client: Any, prefix: str = "", tenant_id: str | None = None) -> None:
        self._client = client
        self._prefix = prefix
        self._tenant_id = tenant_id
        self._loop = asyncio.get_running_loop()

    def _key(self, key: str) -> str:
        return namespaced(self._prefix, self._tenant_id, self.kind, key)

    async def aclose(self) -> None:
        await close_client(self._client, self._loop)


async def close_client(client: Any, loop: asyncio.AbstractEventLoop) -> None:
    """Close ``client``. Its connections belong to the event loop that opened them and can only
    be closed from it; a provider closed from another loop (a test that drove it on a private
    loop, now gone) leaves them to that loop, which closed its transports when it closed."""
    if loop.is_closed() or loop is not asyncio.get_running_loop():
        return
    await client.aclose()
