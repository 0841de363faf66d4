"""Redis key-value store (contract ``kv_store``, policy ``multi_tenancy``)."""

from __future__ import annotations

from typing import Any

from omnicloud.providers.redis._base import DEFAULT_URL, RedisProvider, connect


class RedisKVStore(RedisProvider):
    """String values under string keys; a tenant sees only its own keys."""

    kind = "kv"

    async def get(self, key: str) -> str | None:
        value: str | None = await self._client.get(self._key(key))
        return value

    async def set(self, key: str, value: str) -> None:
        await self._client.set(self._key(key), value)

    async def delete(self, key: str) -> None:
        await self._client.delete(self._key(key))


async def create_kv_store(
    url: str = DEFAULT_URL, prefix: str = "", tenant_id: str | None = None, **client_options: Any
) -> RedisKVStore:
    """Factory for ``[providers.*] factory = "omnicloud.providers.redis:create_kv_store"``."""
    return RedisKVStore(await connect(url, **client_options), prefix, tenant_id)
