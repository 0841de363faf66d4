"""Redis distributed lock (contract ``distributed_lock``): ``SET NX PX`` + compare-and-delete.

Each handle has a random token; only the holder's token releases the key, so a handle whose TTL
ran out cannot release a lock someone else took since.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from omnicloud.providers.locks import LockHandle
from omnicloud.providers.redis._base import DEFAULT_URL, close_client, connect, namespaced

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLock(LockHandle):
    """One handle on a named lock; not re-entrant, ``release`` is idempotent."""

    def __init__(self, client: Any, key: str, ttl: float) -> None:
        self._client = client
        self._key = key
        self._ttl_ms = max(1, round(ttl * 1000))
        self._token = uuid.uuid4().hex

    async def acquire(self) -> bool:
        """``True`` when obtained, ``False`` at once when another unexpired handle holds it."""
        return bool(await self._client.set(self._key, self._token, nx=True, px=self._ttl_ms))

    async def release(self) -> None:
        await self._client.eval(_RELEASE, 1, self._key, self._token)


class RedisLockManager:
    """Hands out lock handles; every ``get_lock`` call is a distinct owner."""

    def __init__(self, client: Any, prefix: str = "") -> None:
        self._client = client
        self._prefix = prefix
        self._loop = asyncio.get_running_loop()

    def get_lock(self, lock_name: str, ttl: float) -> RedisLock:
        return RedisLock(self._client, namespaced(self._prefix, None, "lock", lock_name), ttl)

    async def aclose(self) -> None:
        await close_client(self._client, self._loop)


async def create_lock_manager(
    url: str = DEFAULT_URL, prefix: str = "", **client_options: Any
) -> RedisLockManager:
    """Factory for ``factory = "omnicloud.providers.redis:create_lock_manager"``."""
    return RedisLockManager(await connect(url, **client_options), prefix)
