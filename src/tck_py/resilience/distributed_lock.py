"""Distributed lock contract.

Fixture ``lock_manager_factory`` (sync; note the name) returns an async callable;
``manager = await lock_manager_factory()``. ``manager.get_lock(lock_name, ttl=seconds)`` is
synchronous and returns a NEW handle (a new owner) on every call, even for the same name.

A handle has async ``acquire() -> bool`` (``True`` when obtained, ``False`` at once when another
unexpired handle holds it: no blocking, no raising), async ``release()`` (frees the lock only if
this handle holds it; idempotent; a handle that does not hold the lock, including one whose hold
expired and was taken over, must not free it), and is an async context manager whose
``__aenter__`` returns the ``acquire()`` result and whose ``__aexit__`` releases.

Timing assumptions: ``ttl`` is whole seconds (1 is the shortest). A hold with ``ttl=1`` must be
gone within 1 + 2 s (the tests poll every 50 ms instead of sleeping a fixed 1.2 s). Holds with
``ttl=10`` or more must not expire during a test (tests finish in well under a second). Right
after a ``ttl=1`` acquire (microseconds later) the lock is checked to be held, and a ``ttl=2``
hold is checked to stay held for its first 0.3 s (1.7 s of margin; this catches TTLs read as
milliseconds). ``acquire()`` must answer within 2.0 s (it may not wait for the lock).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import rule

from tck_py.resilience._stateful import AsyncStateMachine, run_machine

ManagerFactory = Callable[..., Awaitable[Any]]

LONG_TTL = 10
EXPIRY_SLACK = 2.0
POLL = 0.05
ACQUIRE_LIMIT = 2.0
HELD_TTL = 2
HELD_CHECK = 0.3


def _name() -> str:
    return f"tck-lock-{uuid.uuid4()}"


async def _acquire(handle: Any) -> Any:
    """``handle.acquire()``, which must answer at once: it may not wait for the lock."""
    try:
        return await asyncio.wait_for(handle.acquire(), timeout=ACQUIRE_LIMIT)
    except TimeoutError:
        pytest.fail(f"acquire() did not return within {ACQUIRE_LIMIT} s: it must not block")


async def _acquire_within(handle: Any, seconds: float) -> float:
    """Poll ``handle.acquire()`` until it succeeds; return when it did (monotonic)."""
    deadline = time.monotonic() + seconds
    while not await _acquire(handle):
        if time.monotonic() >= deadline:
            pytest.fail(f"the expired lock could not be acquired within {seconds:.1f} s")
        await asyncio.sleep(POLL)
    return time.monotonic()


@pytest.mark.asyncio
class BaseTestDistributedLockContract:
    """The distributed lock contract. Subclass it and override ``lock_manager_factory``."""

    @pytest.fixture
    def lock_manager_factory(self) -> ManagerFactory:
        raise NotImplementedError(
            "override the 'lock_manager_factory' fixture in your test class: it must return an"
            " async callable that creates your lock manager"
        )

    # -- upstream tck_py 0.1 tests -------------------------------------------------------------

    async def test_acquire_and_release_lock(self, lock_manager_factory: ManagerFactory) -> None:
        manager = await lock_manager_factory()
        lock = manager.get_lock(_name(), ttl=LONG_TTL)
        assert await _acquire(lock) is True
        await lock.release()
        assert await _acquire(lock) is True
        await lock.release()

    async def test_mutual_exclusion(self, lock_manager_factory: ManagerFactory) -> None:
        manager = await lock_manager_factory()
        name = _name()
        first, second = manager.get_lock(name, ttl=LONG_TTL), manager.get_lock(name, ttl=LONG_TTL)
        assert await _acquire(first) is True
        assert await _acquire(second) is False
        await first.release()
        assert await _acquire(second) is True
        await second.release()

    async def test_lock_expires_after_ttl(self, lock_manager_factory: ManagerFactory) -> None:
        manager = await lock_manager_factory()
        name = _name()
        holder = manager.get_lock(name, ttl=1)
        assert await _acquire(holder) is True
        other = manager.get_lock(name, ttl=LONG_TTL)
        assert await _acquire(other) is False
        await _acquire_within(other, 1 + EXPIRY_SLACK)
        await other.release()

    async def test_lock_as_async_context_manager(
        self, lock_manager_factory: ManagerFactory
    ) -> None:
        manager = await lock_manager_factory()
        name = _name()
        other = manager.get_lock(name, ttl=LONG_TTL)
        async with manager.get_lock(name, ttl=LONG_TTL) as acquired:
            assert acquired is True
            assert await _acquire(other) is False
        assert await _acquire(other) is True
        await other.release()

    async def test_release_is_idempotent(self, lock_manager_factory: ManagerFactory) -> None:
        manager = await lock_manager_factory()
        lock = manager.get_lock(_name(), ttl=LONG_TTL)
        assert await _acquire(lock) is True
        await lock.release()
        await lock.release()
        assert await _acquire(lock) is True
        await lock.release()

    # -- stricter guarantees ---------------------------------------------------------------------

    async def test_release_by_non_owner_does_not_release(
        self, lock_manager_factory: ManagerFactory
    ) -> None:
        manager = await lock_manager_factory()
        name = _name()
        owner = manager.get_lock(name, ttl=LONG_TTL)
        intruder = manager.get_lock(name, ttl=LONG_TTL)
        assert await _acquire(owner) is True
        await intruder.release()
        assert await _acquire(manager.get_lock(name, ttl=LONG_TTL)) is False

    async def test_failed_context_entry_does_not_release_the_holder(
        self, lock_manager_factory: ManagerFactory
    ) -> None:
        manager = await lock_manager_factory()
        name = _name()
        owner = manager.get_lock(name, ttl=LONG_TTL)
        assert await _acquire(owner) is True
        async with manager.get_lock(name, ttl=LONG_TTL) as acquired:
            assert acquired is False
        assert await _acquire(manager.get_lock(name, ttl=LONG_TTL)) is False

    async def test_concurrent_acquisitions_give_exactly_one_owner(
        self, lock_manager_factory: ManagerFactory
    ) -> None:
        manager = await lock_manager_factory()
        name = _name()
        handles = [manager.get_lock(name, ttl=LONG_TTL) for _ in range(10)]
        results = await asyncio.gather(*(h.acquire() for h in handles))
        assert sorted(results) == [False] * 9 + [True]

    async def test_locks_with_different_names_are_independent(
        self, lock_manager_factory: ManagerFactory
    ) -> None:
        manager = await lock_manager_factory()
        first, second = _name(), _name()
        assert await _acquire(manager.get_lock(first, ttl=LONG_TTL)) is True
        assert await _acquire(manager.get_lock(second, ttl=LONG_TTL)) is True
        assert await _acquire(manager.get_lock(f"{first}-suffix", ttl=LONG_TTL)) is True

    async def test_lock_is_held_for_its_whole_ttl(
        self, lock_manager_factory: ManagerFactory
    ) -> None:
        manager = await lock_manager_factory()
        name = _name()
        assert await _acquire(manager.get_lock(name, ttl=HELD_TTL)) is True
        other = manager.get_lock(name, ttl=LONG_TTL)
        deadline = time.monotonic() + HELD_CHECK
        while time.monotonic() < deadline:
            assert await _acquire(other) is False, f"a {HELD_TTL} s hold expired early"
            await asyncio.sleep(POLL)

    async def test_expired_holder_cannot_release_the_new_owner(
        self, lock_manager_factory: ManagerFactory
    ) -> None:
        manager = await lock_manager_factory()
        name = _name()
        expired = manager.get_lock(name, ttl=1)
        assert await _acquire(expired) is True
        new_owner = manager.get_lock(name, ttl=LONG_TTL)
        await _acquire_within(new_owner, 1 + EXPIRY_SLACK)
        await expired.release()
        assert await _acquire(manager.get_lock(name, ttl=LONG_TTL)) is False

    async def test_behaves_like_a_model_lock(self, lock_manager_factory: ManagerFactory) -> None:
        await run_machine(_lock_machine(lock_manager_factory))


def _lock_machine(lock_manager_factory: ManagerFactory) -> type[AsyncStateMachine]:
    # Five handles over two names; the long TTL means nothing expires during an example.
    names = ["lock-a", "lock-a", "lock-a", "lock-b", "lock-b"]
    handles = st.integers(0, len(names) - 1)

    class LockMachine(AsyncStateMachine):
        """Model: lock name -> index of the handle holding it."""

        def __init__(self) -> None:
            super().__init__()
            manager = self.make_provider(lock_manager_factory)
            prefix = uuid.uuid4().hex  # a backend shared between examples keeps old holds
            self.handles = [manager.get_lock(f"{prefix}-{n}", ttl=60) for n in names]
            self.holder: dict[str, int] = {}

        @rule(index=handles)
        def acquire(self, index: int) -> None:
            name = names[index]
            if self.holder.get(name) == index:
                return  # re-acquiring a held lock through the same handle is unspecified
            obtained = self.run(_acquire(self.handles[index]))
            assert obtained is (name not in self.holder)
            if obtained:
                self.holder[name] = index

        @rule(index=handles)
        def release(self, index: int) -> None:
            self.run(self.handles[index].release())
            if self.holder.get(names[index]) == index:
                del self.holder[names[index]]

    return LockMachine
