"""In-memory cache with per-entry TTLs, tenant-aware.

    [providers.memory-cache]
    contract = "cache"
    factory = "omnicloud.providers.memory.cache:InMemoryCache"
    policies = ["multi_tenancy"]
    options = { namespace = "omnicloud-certify" }

Expiry is checked on every read against ``clock`` (``time.monotonic`` unless injected), so an
expired entry is a miss at once; expired entries that are never read again are swept every
``SWEEP_EVERY`` writes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from omnicloud.providers.memory import SharedStores

SWEEP_EVERY = 1024


@dataclass
class _Entries:
    values: dict[tuple[str | None, str], tuple[str, float | None]]
    writes: int = 0


_STORES: SharedStores[_Entries] = SharedStores(lambda: _Entries({}))


def _expiry(ttl: float | None, now: float) -> float | None:
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or ttl <= 0:
        raise ValueError(f"ttl must be a positive number of seconds or None, got {ttl!r}")
    return now + ttl


class InMemoryCache:
    """A cache scoped to ``tenant_id``; ``namespace`` shares the backing store."""

    def __init__(
        self,
        tenant_id: str | None = None,
        *,
        namespace: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tenant = tenant_id
        self._store = _STORES.get(namespace)
        self._clock = clock

    async def get(self, key: str) -> str | None:
        await asyncio.sleep(0)
        entry = (self._tenant, key)
        found = self._store.values.get(entry)
        if found is None:
            return None
        value, expires_at = found
        if expires_at is not None and self._clock() >= expires_at:
            del self._store.values[entry]
            return None
        return value

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("cache keys and values must be str")
        expires_at = _expiry(ttl, self._clock())
        await asyncio.sleep(0)
        self._store.values[(self._tenant, key)] = (value, expires_at)
        self._store.writes += 1
        if self._store.writes % SWEEP_EVERY == 0:
            self._sweep()

    async def delete(self, key: str) -> None:
        await asyncio.sleep(0)
        self._store.values.pop((self._tenant, key), None)

    def _sweep(self) -> None:
        now = self._clock()
        expired = [
            k for k, (_, exp) in self._store.values.items() if exp is not None and now >= exp
        ]
        for entry in expired:
            del self._store.values[entry]
