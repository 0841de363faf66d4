"""Broken providers the fault invariants must catch (importable as ``faults_support``)."""

from __future__ import annotations

from typing import Any

from omnicloud.providers.redis import create_lock_manager


class _GreedyLock:
    """Always reports the lock as obtained: two owners hold it at once."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def acquire(self) -> bool:
        await self._inner.acquire()
        return True

    async def release(self) -> None:
        await self._inner.release()


class GreedyLockManager:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def get_lock(self, lock_name: str, ttl: float) -> _GreedyLock:
        return _GreedyLock(self._inner.get_lock(lock_name, ttl))

    async def aclose(self) -> None:
        await self._inner.aclose()


async def create_greedy_lock_manager(**options: Any) -> GreedyLockManager:
    return GreedyLockManager(await create_lock_manager(**options))
