"""In-memory distributed lock manager (for one process: tasks and threads).

    [providers.memory-lock]
    contract = "distributed_lock"
    factory = "omnicloud.providers.memory.lock:InMemoryLockManager"

Managers created with the same ``namespace=`` share their holds (components of one process
coordinating through named locks); without one a manager is private. Holds are
``name -> (owner id, expiry)`` with expiry on the monotonic clock. Every ``get_lock``
call returns a handle with its own owner id; only that owner's ``release`` frees the hold, so a
handle whose hold expired and was taken over cannot release the new owner's hold. Check-and-set
happens under a thread lock, so concurrent acquisitions get exactly one owner.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable

from omnicloud.providers.locks import LockHandle
from omnicloud.providers.memory import SharedStores


class _Holds:
    def __init__(self) -> None:
        self.holds: dict[str, tuple[str, float]] = {}
        self.guard = threading.Lock()


_HOLDS: SharedStores[_Holds] = SharedStores(_Holds)


class InMemoryLock(LockHandle):
    """One owner's handle on a named lock."""

    def __init__(self, manager: InMemoryLockManager, name: str, ttl: float) -> None:
        self._manager = manager
        self.name = name
        self.ttl = ttl
        self.owner_id = str(uuid.uuid4())

    async def acquire(self) -> bool:
        await asyncio.sleep(0)
        return self._manager.try_acquire(self.name, self.owner_id, self.ttl)

    async def release(self) -> None:
        await asyncio.sleep(0)
        self._manager.release(self.name, self.owner_id)


class InMemoryLockManager:
    """Lock holds by name. ``clock`` defaults to ``time.monotonic`` (tests may inject one)."""

    lock_class: type[InMemoryLock] = InMemoryLock

    def __init__(
        self, namespace: str | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        shared = _HOLDS.get(namespace)
        self._clock = clock
        self._holds = shared.holds
        self._guard = shared.guard

    def get_lock(self, lock_name: str, ttl: float) -> InMemoryLock:
        if ttl <= 0:
            raise ValueError(f"ttl must be positive, got {ttl}")
        return self.lock_class(self, lock_name, ttl)

    def try_acquire(self, name: str, owner: str, ttl: float) -> bool:
        with self._guard:
            now = self._clock()
            held = self._holds.get(name)
            if held is not None and held[1] > now:
                return False
            self._holds[name] = (owner, now + ttl)
            return True

    def release(self, name: str, owner: str) -> None:
        with self._guard:
            held = self._holds.get(name)
            if held is not None and held[0] == owner:
                del self._holds[name]
