"""Deliberately broken caches: each has one realistic bug the cache contract forbids."""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar


class CorrectCache:
    """Control: correct (tenant-aware, one store per class, expiry checked on read)."""

    _store: ClassVar[dict[Any, tuple[str, float | None]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._store = {}

    def __init__(self, tenant_id: str | None = None) -> None:
        self.tenant = tenant_id

    def k(self, key: str) -> Any:
        return (self.tenant, key)

    def expiry(self, key: str, ttl: float | None) -> float | None:
        return None if ttl is None else time.monotonic() + ttl

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        await asyncio.sleep(0)
        self._store[self.k(key)] = (value, self.expiry(key, ttl))

    async def get(self, key: str) -> str | None:
        await asyncio.sleep(0)
        found = self._store.get(self.k(key))
        if found is None:
            return None
        value, expires_at = found
        if expires_at is not None and time.monotonic() >= expires_at:
            self._store.pop(self.k(key), None)
            return None
        return value

    async def delete(self, key: str) -> None:
        await asyncio.sleep(0)
        self._store.pop(self.k(key), None)


class OverwriteKeepsOldTTL(CorrectCache):
    """an overwrite keeps the entry's existing expiry instead of the new TTL."""

    def expiry(self, key: str, ttl: float | None) -> float | None:
        old = self._store.get(self.k(key))
        return old[1] if old is not None else super().expiry(key, ttl)


class LongerTTLWins(CorrectCache):
    """an overwrite keeps whichever expiry is later."""

    def expiry(self, key: str, ttl: float | None) -> float | None:
        new = super().expiry(key, ttl)
        old = self._store.get(self.k(key))
        if old is None or old[1] is None or new is None:
            return new
        return max(old[1], new)


class OverwriteWithoutTTLKeepsOldTTL(CorrectCache):
    """set(..., ttl=None) on an expiring entry keeps its old expiry (Redis SET ... KEEPTTL)."""

    def expiry(self, key: str, ttl: float | None) -> float | None:
        old = self._store.get(self.k(key))
        if ttl is None and old is not None:
            return old[1]
        return super().expiry(key, ttl)


class DeleteLeavesExpiryBehind(CorrectCache):
    """expiries live in a side table that delete does not clean, and set without TTL reuses it."""

    _expiries: ClassVar[dict[Any, float]] = {}

    def expiry(self, key: str, ttl: float | None) -> float | None:
        if ttl is not None:
            self._expiries[self.k(key)] = time.monotonic() + ttl
        return self._expiries.get(self.k(key))


class IgnoresTTL(CorrectCache):
    """entries never expire."""

    def expiry(self, key: str, ttl: float | None) -> float | None:
        return None


class ExpiresAtHalfTheTTL(CorrectCache):
    """entries expire after half their TTL (a seconds/2 scheduling bug)."""

    def expiry(self, key: str, ttl: float | None) -> float | None:
        return None if ttl is None else time.monotonic() + ttl / 2


class TTLTakenAsMilliseconds(CorrectCache):
    """the TTL is passed on as milliseconds."""

    def expiry(self, key: str, ttl: float | None) -> float | None:
        return None if ttl is None else time.monotonic() + ttl / 1000


class OneExpiryForAllKeys(CorrectCache):
    """the last TTL set applies to every key (one shared deadline)."""

    _deadline: ClassVar[float | None] = None

    def expiry(self, key: str, ttl: float | None) -> float | None:
        if ttl is not None:
            type(self)._deadline = time.monotonic() + ttl
        return None

    async def get(self, key: str) -> str | None:
        deadline = type(self)._deadline
        if deadline is not None and time.monotonic() >= deadline:
            return None
        return await super().get(key)


class EmptyValueIsAMiss(CorrectCache):
    """an empty string reads back as a miss."""

    async def get(self, key: str) -> str | None:
        return (await super().get(key)) or None


class PrefixDelete(CorrectCache):
    """delete removes every key starting with the given key."""

    async def delete(self, key: str) -> None:
        for entry in [e for e in self._store if e[0] == self.tenant and e[1].startswith(key)]:
            del self._store[entry]


class CaseInsensitiveKeys(CorrectCache):
    """keys are lower-cased."""

    def k(self, key: str) -> Any:
        return (self.tenant, key.lower())


class LostWritesUnderConcurrency(CorrectCache):
    """set rebuilds the store from a snapshot taken before an await."""

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        snapshot = dict(type(self)._store)
        await asyncio.sleep(0)
        snapshot[self.k(key)] = (value, self.expiry(key, ttl))
        type(self)._store = snapshot


class IgnoresTenant(CorrectCache):
    """the tenant id is ignored (caught by the multi-tenancy mixin)."""

    def k(self, key: str) -> Any:
        return key


class ReturnsExpiredValueOnce(CorrectCache):
    """an expired entry is returned one last time by the read that discovers it has expired."""

    async def get(self, key: str) -> str | None:
        found = self._store.get(self.k(key))
        if found is None:
            return None
        value, expires_at = found
        if expires_at is not None and time.monotonic() >= expires_at:
            self._store.pop(self.k(key), None)  # cleaned up, but the stale value still goes out
        return value


class ReadsRefreshTheTTL(CorrectCache):
    """every read pushes the expiry back by the original TTL (sliding expiration)."""

    _ttls: ClassVar[dict[Any, float]] = {}

    def expiry(self, key: str, ttl: float | None) -> float | None:
        if ttl is not None:
            self._ttls[self.k(key)] = ttl
        return super().expiry(key, ttl)

    async def get(self, key: str) -> str | None:
        value = await super().get(key)
        ttl = self._ttls.get(self.k(key))
        if value is not None and ttl is not None and self._store[self.k(key)][1] is not None:
            self._store[self.k(key)] = (value, time.monotonic() + ttl)
        return value
