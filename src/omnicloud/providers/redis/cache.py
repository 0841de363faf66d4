"""Redis cache with per-key TTLs (contract ``cache``); expiry is Redis's own, millisecond-exact."""

from __future__ import annotations

from typing import Any

from omnicloud.providers.redis._base import DEFAULT_URL, RedisProvider, connect


class RedisCache(RedisProvider):
    """``set(key, value, ttl=None)``: a new ``set`` replaces both the value and the TTL."""

    kind = "cache"

    async def get(self, key: str) -> str | None:
        value: str | None = await self._client.get(self._key(key))
        return value

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        if ttl is None:
            await self._client.set(self._key(key), value)  # plain SET also clears an old TTL
        elif ttl <= 0:
            await self._client.delete(self._key(key))  # already expired
        else:
            await self._client.set(self._key(key), value, px=max(1, round(ttl * 1000)))

    async def delete(self, key: str) -> None:
        await self._client.delete(self._key(key))


async def create_cache(
    url: str = DEFAULT_URL, prefix: str = "", tenant_id: str | None = None, **client_options: Any
) -> RedisCache:
    """Factory for ``factory = "omnicloud.providers.redis:create_cache"``."""
    return RedisCache(await connect(url, **client_options), prefix, tenant_id)
