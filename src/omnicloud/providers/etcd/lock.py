"""etcd distributed lock (contract ``distributed_lock``): a leased key written only if free.

The lock key holds the handle's random token and its deadline (the value encoding of
``_values``), under a lease of ``ttl`` seconds rounded up. ``acquire`` answers ``False`` at once
while the key holds an unexpired deadline; otherwise it writes its own in a transaction guarded
by the revision it read (0: still absent, or the same expired hold), so of concurrent acquirers
exactly one wins. The deadline makes the hold end on time (etcd leases count whole seconds and
expire up to half a second late); the lease deletes the key of a holder that stopped. ``release``
deletes the key only while it still holds this handle's exact value, so a handle whose hold
expired and was taken over cannot free the new holder's lock.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid

from omnicloud.providers.etcd._gateway import (
    DEFAULT_URL,
    EtcdGateway,
    b64,
    delete,
    put,
    unchanged,
)
from omnicloud.providers.etcd._values import decode_value, encode_value
from omnicloud.providers.etcd.store import namespace_root
from omnicloud.providers.locks import LockHandle


class EtcdLock(LockHandle):
    """One handle on a named lock; not re-entrant, ``release`` is idempotent."""

    def __init__(self, gateway: EtcdGateway, key: bytes, ttl: float) -> None:
        self._gateway = gateway
        self._key = key
        self._seconds = float(ttl)
        self._ttl = max(1, math.ceil(ttl))  # leases count whole seconds
        self._token = uuid.uuid4().hex
        self._held: bytes | None = None
        self._lease = 0

    async def acquire(self) -> bool:
        """``True`` when obtained, ``False`` at once when another unexpired handle holds it."""
        current = await self._gateway.get(self._key)
        if current is not None and decode_value(current.value).alive(time.time()):
            return False
        lease = await self._gateway.grant(self._ttl)
        raw = encode_value(self._token, time.time() + self._seconds)
        # still absent (revision 0), or still the expired hold just read: nobody took it since
        guard = unchanged(self._key, 0 if current is None else current.mod_revision)
        if await self._gateway.txn([guard], [put(self._key, raw, lease)]):
            self._held, self._lease = raw, lease
            return True
        await self._gateway.revoke(lease)
        return False

    async def release(self) -> None:
        held, self._held = self._held, None
        if held is None:
            return
        mine = {"key": b64(self._key), "target": "VALUE", "result": "EQUAL", "value": b64(held)}
        await self._gateway.txn([mine], [delete(self._key)])
        lease, self._lease = self._lease, 0
        await self._gateway.revoke(lease)


class EtcdLockManager:
    """Hands out lock handles; every ``get_lock`` call is a distinct owner."""

    def __init__(self, gateway: EtcdGateway, root: bytes) -> None:
        self._gateway = gateway
        self._root = root
        self._loop = asyncio.get_running_loop()

    def get_lock(self, lock_name: str, ttl: float) -> EtcdLock:
        return EtcdLock(self._gateway, self._root + lock_name.encode(), ttl)

    async def aclose(self) -> None:
        """Close the HTTP session, on the loop that made the manager."""
        if self._gateway.closed:
            return
        if asyncio.get_running_loop() is not self._loop:
            future = asyncio.run_coroutine_threadsafe(self.aclose(), self._loop)
            await asyncio.wrap_future(future)
            return
        await self._gateway.aclose()


async def create_lock_manager(
    url: str = DEFAULT_URL, prefix: str = "", namespace: str | None = None
) -> EtcdLockManager:
    """Factory for ``factory = "omnicloud.providers.etcd:create_lock_manager"``.

    Managers given the same ``namespace`` (and ``prefix``) contend for the same locks; by
    default each manager is private, as the contract suite expects of each factory call.
    """
    return EtcdLockManager(EtcdGateway(url), namespace_root(prefix, namespace, "lock"))
