"""Cache (+ multi-tenancy): an upstream-style test class (spec 1.9) and our reference provider."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest

from omnicloud.providers.memory.cache import InMemoryCache as MemoryCache
from tck_py.policies import multi_tenancy as mt
from tck_py.primitives.cache import BaseTestCacheContract


class UpstreamReferenceCache:
    """Shaped like upstream's reference: (value, expiry) pairs, expired lazily on read."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}

    async def set(self, key: str, value: str, ttl: int | None = None) -> None:
        await asyncio.sleep(0)
        self._data[key] = (value, time.monotonic() + ttl if ttl is not None else None)

    async def get(self, key: str) -> str | None:
        await asyncio.sleep(0)
        if key not in self._data:
            return None
        value, expiry = self._data[key]
        if expiry is not None and time.monotonic() > expiry:
            del self._data[key]
            return None
        return value

    async def delete(self, key: str) -> None:
        await asyncio.sleep(0)
        self._data.pop(key, None)


class TestUpstreamReferenceCacheCompliance(BaseTestCacheContract):
    @pytest.fixture
    def provider_factory(self) -> Any:
        async def _factory(**config: Any) -> UpstreamReferenceCache:
            return UpstreamReferenceCache()

        return _factory


class TestMemoryCacheCompliance(BaseTestCacheContract, mt.TestMultiTenancyContractMixin):
    @pytest.fixture
    def provider_factory(self) -> Any:
        namespace = f"compat-{uuid.uuid4()}"

        async def _factory(tenant_id: str | None = None, **config: Any) -> MemoryCache:
            return MemoryCache(tenant_id, namespace=namespace)

        return _factory


async def test_memory_cache_expiry_follows_the_injected_clock() -> None:
    now = [100.0]
    cache = MemoryCache(clock=lambda: now[0])
    await cache.set("key", "value", ttl=5)
    now[0] = 104.9
    assert await cache.get("key") == "value"
    now[0] = 105.0
    assert await cache.get("key") is None


@pytest.mark.parametrize("ttl", [0, -1, True, "5"])
async def test_memory_cache_rejects_bad_ttls(ttl: Any) -> None:
    with pytest.raises(ValueError, match="ttl must be a positive number of seconds or None"):
        await MemoryCache().set("key", "value", ttl=ttl)


async def test_memory_cache_sweeps_expired_entries_on_writes() -> None:
    now = [0.0]
    cache = MemoryCache(clock=lambda: now[0])
    await cache.set("stale", "value", ttl=1)
    now[0] = 2.0
    for i in range(1024):
        await cache.set(f"k{i}", "v")
    assert "stale" not in {key for _, key in cache._store.values}
