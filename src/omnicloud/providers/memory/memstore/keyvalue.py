"""MemStore's key-value family (bare methods: get, set, delete, cas, transactions...)."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence

from omnicloud.providers.memory.memstore.common import positive, tick
from omnicloud.providers.transactions import DELETED, BufferedTransaction
from tck_py.interfaces.errors import TransactionConflictError


class _Transaction(BufferedTransaction[int]):
    """Optimistic transaction: buffered writes, commit refused if a key it read has changed."""

    def __init__(self, store: KeyValueFamily) -> None:
        super().__init__()
        self._store = store

    async def get(self, key: str) -> str | None:
        self._open()
        await tick()
        return await super().get(key)

    async def _read_versioned(self, key: str) -> tuple[str | None, int]:
        return self._store._read(key), self._store._version(key)

    async def _commit_buffered(self, read: dict[str, int], writes: dict[str, object]) -> None:
        await tick()
        changed = [k for k, v in read.items() if self._store._version(k) != v]
        if changed:
            raise TransactionConflictError(f"keys changed since read: {sorted(changed)}")
        for key, value in writes.items():
            if value is DELETED:
                self._store._remove(key)
            else:
                self._store._write(key, str(value))


class KeyValueFamily:
    _kv: dict[str, str]
    _expiry: dict[str, float]
    _versions: dict[str, int]

    def _init_keyvalue(self) -> None:
        self._kv, self._expiry, self._versions = {}, {}, {}

    def _version(self, key: str) -> int:
        self._read(key)
        return self._versions.get(key, 0)

    def _read(self, key: str) -> str | None:
        deadline = self._expiry.get(key)
        if deadline is not None and time.monotonic() >= deadline:
            self._remove(key)
        return self._kv.get(key)

    def _write(self, key: str, value: str, ttl: float | None = None) -> None:
        self._kv[key] = value
        self._expiry.pop(key, None)
        if ttl is not None:
            self._expiry[key] = time.monotonic() + ttl
        self._versions[key] = self._versions.get(key, 0) + 1

    def _remove(self, key: str) -> bool:
        existed = self._kv.pop(key, None) is not None
        self._expiry.pop(key, None)
        self._versions[key] = self._versions.get(key, 0) + 1
        return existed

    def _live_keys(self, prefix: str) -> list[str]:
        return sorted(
            k for k in list(self._kv) if k.startswith(prefix) and self._read(k) is not None
        )

    async def set(self, key: str, value: str) -> None:
        await tick()
        self._write(key, value)

    async def get(self, key: str) -> str | None:
        await tick()
        return self._read(key)

    async def delete(self, key: str) -> bool:
        await tick()
        return self._read(key) is not None and self._remove(key)

    async def exists(self, key: str) -> bool:
        await tick()
        return self._read(key) is not None

    async def scan(self, prefix: str = "", limit: int | None = None) -> list[tuple[str, str]]:
        return [(k, self._kv[k]) for k in await self.scan_keys(prefix, limit)]

    async def scan_keys(self, prefix: str = "", limit: int | None = None) -> list[str]:
        await tick()
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        keys = self._live_keys(prefix)
        return keys if limit is None else keys[:limit]

    async def count(self, prefix: str = "") -> int:
        await tick()
        return len(self._live_keys(prefix))

    async def set_with_ttl(self, key: str, value: str, ttl: float) -> None:
        positive("ttl", ttl)
        await tick()
        self._write(key, value, ttl)

    async def expire(self, key: str, ttl: float) -> bool:
        await tick()
        if self._read(key) is None:
            return False
        if ttl <= 0:
            self._remove(key)
        else:
            self._expiry[key] = time.monotonic() + ttl
        return True

    async def get_ttl(self, key: str) -> float | None:
        await tick()
        if self._read(key) is None:
            return None
        deadline = self._expiry.get(key)
        return math.inf if deadline is None else max(deadline - time.monotonic(), 0.0)

    async def persist(self, key: str) -> bool:
        await tick()
        return self._read(key) is not None and self._expiry.pop(key, None) is not None

    async def begin_transaction(self) -> _Transaction:
        await tick()
        return _Transaction(self)

    async def batch_set(self, items: Mapping[str, str]) -> None:
        await tick()
        for key, value in items.items():
            self._write(key, value)

    async def batch_get(self, keys: Sequence[str]) -> list[str | None]:
        await tick()
        return [self._read(k) for k in keys]

    async def batch_delete(self, keys: Sequence[str]) -> int:
        await tick()
        return sum(self._read(k) is not None and self._remove(k) for k in keys)

    async def compare_and_swap(self, key: str, expected: str | None, value: str) -> bool:
        await tick()
        if self._read(key) != expected:
            return False
        self._write(key, value)
        return True

    async def compare_and_delete(self, key: str, expected: str) -> bool:
        await tick()
        return self._read(key) == expected and self._remove(key)
