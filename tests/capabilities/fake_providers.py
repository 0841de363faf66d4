# mypy: disable-error-code="empty-body"
"""Providers with realistic capability bugs, used by the capability tests (copied to tmp_path).

Each one is almost right: the point is that claims are checked against behaviour, not names.
"""

from __future__ import annotations

from typing import Any

from omnicloud.providers.memory.memstore import MemStore


class TTLIgnoringStore(MemStore):
    """Claims keyvalue_ttl, has every method, but never expires anything."""

    async def set_with_ttl(self, key: str, value: str, ttl: float) -> None:
        await self.set(key, value)

    async def expire(self, key: str, ttl: float) -> bool:
        return await self.exists(key)


class ScanningKV:
    """Claims only keyvalue_basic, but enumerates correctly: --probe should say 'declare it'."""

    def __init__(self, **options: Any) -> None:
        self._data: dict[str, str] = {}

    async def set(self, key: str, value: str) -> None:
        self._data[key] = value

    async def get(self, key: str) -> str | None:
        return self._data.get(key)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def exists(self, key: str) -> bool:
        return key in self._data

    async def scan(self, prefix: str = "", limit: int | None = None) -> list[tuple[str, str]]:
        return [(k, self._data[k]) for k in await self.scan_keys(prefix, limit)]

    async def scan_keys(self, prefix: str = "", limit: int | None = None) -> list[str]:
        keys = sorted(k for k in self._data if k.startswith(prefix))
        return keys if limit is None else keys[:limit]

    async def count(self, prefix: str = "") -> int:
        return len(await self.scan_keys(prefix))


class NoBlockingLists(MemStore):
    """Blocking pops that never wait (declared as an expected failure)."""

    async def list_blocking_pop_left(self, key: str, timeout: float) -> str | None:
        return await self.list_pop_left(key)

    async def list_blocking_pop_right(self, key: str, timeout: float) -> str | None:
        return await self.list_pop_right(key)


class HalfTTL:
    """Claims keyvalue_basic and keyvalue_ttl with missing and mis-shaped methods."""

    async def set(self, key: str, value: str) -> None: ...

    async def get(self, key: str) -> str | None: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    async def set_with_ttl(self, key: str, value: str) -> None: ...

    def get_ttl(self, key: str) -> float | None: ...

    async def persist(self, name: str) -> bool: ...


def create_half_ttl(**options: Any):  # type: ignore[no-untyped-def]  # unannotated on purpose
    """A factory function without a return annotation: its class is read from the source."""
    return HalfTTL()
