"""The etcd store and lock certified by the suites they claim, against a real etcd server.

One etcd per test session (per xdist worker), started by the process provisioner; every provider
the suites create has its own random namespace under the session's prefix. The broken
variants at the end prove the suites catch an etcd backend with one realistic bug each.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from backend_suites import (
    Opener,
    assert_suite_catches,
    check_key_isolation,
    closing_factory,
    foreign_loop,
    namespaced_stores,
    process_service,
    suite_classes,
)

from omnicloud.providers.etcd import (
    EtcdLock,
    EtcdLockManager,
    EtcdStore,
    create_lock_manager,
    create_store,
)
from omnicloud.providers.etcd._gateway import EtcdGateway, delete, put
from omnicloud.providers.etcd._values import encode_value
from omnicloud.providers.etcd.store import IMPLEMENTS
from service_guard import require_binary
from tck_py.interfaces._support import ProviderFactory
from tck_py.resilience.distributed_lock import BaseTestDistributedLockContract

# One worker runs these tests: one etcd instead of one per worker.
pytestmark = [pytest.mark.services("etcd"), pytest.mark.xdist_group("etcd")]

PREFIX = "omnicloud-tests/"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def etcd_url() -> Iterator[str]:
    """An etcd of this session (per xdist worker), started by the process provisioner."""
    require_binary("etcd", "etcd-server")
    with process_service("etcd") as endpoint:
        yield str(endpoint["url"])


@pytest.fixture
def open_store(etcd_url: str) -> Opener:
    """Fresh stores on the session's etcd, each in its own random namespace."""
    return functools.partial(create_store, etcd_url, prefix=PREFIX)


# One test class per claimed interface, e.g. TestEtcdKeyValueCAS(StoreProvider, suite).
globals().update(suite_classes("Etcd", IMPLEMENTS, __name__))


def _managers(
    url: str, make: Callable[[EtcdLockManager], Any] | None = None
) -> contextlib.AbstractAsyncContextManager[ProviderFactory]:
    """Fresh lock managers on the session's etcd, all closed on the way out."""
    return closing_factory(functools.partial(create_lock_manager, url, prefix=PREFIX), make)


class TestEtcdDistributedLock(BaseTestDistributedLockContract):
    """The distributed_lock contract suite against leased etcd keys."""

    @pytest.fixture
    async def lock_manager_factory(self, etcd_url: str) -> AsyncIterator[Callable[[], Any]]:
        async with _managers(etcd_url) as factory:
            yield factory


# -- broken etcd backends the suites must catch ---------------------------------------------------


class ImmortalTTL(EtcdStore):
    """Ignores TTLs: no lease, no deadline, the value lives forever."""

    async def set_with_ttl(self, key: str, value: str, ttl: float) -> None:
        await self.set(key, value)


class UnguardedCAS(EtcdStore):
    """Compare-and-swap as read, compare in the client, then a blind put.

    The window between the read and the put is held open (as production latency would) so that
    the suite's concurrent creators always meet in it: without it, whether ten requests over a
    warm connection pool interleave depends on the machine's load, and the mutant escaped once
    in CI when one creator's read and put both landed before the others' reads were answered.
    """

    WINDOW = 0.25

    async def compare_and_swap(self, key: str, expected: str | None, value: str) -> bool:
        if await self.get(key) != expected:
            return False
        await asyncio.sleep(self.WINDOW)
        await self.set(key, value)
        return True


class BlindCommits(EtcdStore):
    """Transactions commit without comparing the revisions they read."""

    async def begin_transaction(self) -> Any:
        tx = await super().begin_transaction()
        tx._read = _Forgetful()
        return tx


class _Forgetful(dict[str, int]):
    """A read set that remembers nothing."""

    def setdefault(self, key: str, default: int | None = None) -> int:
        return 0


class DoubleGrant(EtcdLock):
    """Writes the lock key without checking it is free: two holders at once."""

    async def acquire(self) -> bool:
        lease = await self._gateway.grant(self._ttl)
        raw = encode_value(self._token, time.time() + self._seconds)
        await self._gateway.txn([], [put(self._key, raw, lease)])
        self._held, self._lease = raw, lease
        return True


class CarelessRelease(EtcdLock):
    """Deletes the lock key whoever holds it."""

    async def release(self) -> None:
        await self._gateway.txn([], [delete(self._key)])


class EverlastingLease(EtcdLock):
    """Leases the lock for an hour whatever ``ttl`` says: a crashed holder blocks everyone."""

    async def acquire(self) -> bool:
        self._ttl, self._seconds = 3600, 3600.0
        return await super().acquire()


BROKEN_STORES: dict[str, tuple[type[EtcdStore], str, str]] = {
    "ImmortalTTL": (ImmortalTTL, "keyvalue_ttl", "test_value_expires"),
    "UnguardedCAS": (UnguardedCAS, "keyvalue_cas", "test_exactly_one_concurrent_creator_wins"),
    "BlindCommits": (
        BlindCommits,
        "keyvalue_transactional",
        "test_conflicting_commit_is_refused_and_applies_nothing",
    ),
}
BROKEN_LOCKS: dict[str, tuple[type[EtcdLock], str]] = {
    "DoubleGrant": (DoubleGrant, "test_mutual_exclusion"),
    "CarelessRelease": (CarelessRelease, "test_release_by_non_owner_does_not_release"),
    "EverlastingLease": (EverlastingLease, "test_lock_expires_after_ttl"),
}


@pytest.mark.parametrize("name", list(BROKEN_STORES))
async def test_a_broken_etcd_store_fails_its_interface_suite(name: str, open_store: Opener) -> None:
    await assert_suite_catches(open_store, *BROKEN_STORES[name])


@pytest.mark.parametrize("name", list(BROKEN_LOCKS))
async def test_a_broken_etcd_lock_fails_the_lock_contract(name: str, etcd_url: str) -> None:
    broken, test_name = BROKEN_LOCKS[name]

    class BrokenManager(EtcdLockManager):
        def get_lock(self, lock_name: str, ttl: float) -> EtcdLock:
            lock = super().get_lock(lock_name, ttl)
            lock.__class__ = broken
            return lock

    def mutate(manager: EtcdLockManager) -> EtcdLockManager:
        manager.__class__ = BrokenManager
        return manager

    async with _managers(etcd_url, mutate) as factory:
        with pytest.raises((AssertionError, pytest.fail.Exception)):
            await getattr(BaseTestDistributedLockContract(), test_name)(factory)


# -- isolation and lifecycle ---------------------------------------------------------------------


async def test_instances_are_isolated_unless_they_share_a_namespace(open_store: Opener) -> None:
    async with namespaced_stores(open_store) as stores:
        await check_key_isolation(*stores)


async def test_a_private_store_deletes_its_keys_when_closed(etcd_url: str) -> None:
    store = await create_store(etcd_url, prefix=PREFIX)
    await store.set("k", "v")
    await store.set_with_ttl("t", "v", 60)
    await store.aclose()
    observer = EtcdGateway(etcd_url)
    try:
        assert await observer.scan(store._root) == []
    finally:
        await observer.aclose()


async def test_a_store_is_closed_on_the_loop_that_made_it(etcd_url: str) -> None:
    with foreign_loop() as on_owner:
        store = await on_owner(create_store(etcd_url, prefix=PREFIX))
        await on_owner(store.set("k", "v"))
        await store.aclose()
        assert store._gateway._session.closed


async def test_a_server_gone_is_an_error_not_an_empty_answer() -> None:
    """A store whose etcd is unreachable raises a connection error: a verdict can then say
    "infrastructure", never "key absent"."""
    store = await create_store(f"http://127.0.0.1:{_free_port()}", prefix=PREFIX)
    try:
        with pytest.raises(aiohttp.ClientConnectionError):
            await store.get("k")
    finally:
        await store._gateway.aclose()
