"""etcd distributed lock (contract ``distributed_lock``): a leased key created only if absent.

``acquire`` grants a lease of ``ttl`` seconds and, in one transaction, creates the lock key with
the handle's random token under that lease only if the key does not exist (``create_revision ==
0``); otherwise it revokes the lease and answers ``False`` at once. When the holder stops, etcd
deletes the key as the lease expires. ``release`` deletes the key only while it still holds this
handle's token, so a handle whose hold expired and was taken over cannot free the new holder's
lock.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from types import TracebackType

from omnicloud.providers.etcd._gateway import DEFAULT_URL, EtcdGateway, b64, delete, put
from omnicloud.providers.etcd.store import namespace_root


class EtcdLock:
    """One handle on a named lock; not re-entrant, ``release`` is idempotent."""

    def __init__(self, gateway: EtcdGateway, key: bytes, ttl: float) -> None:
        self._gateway = gateway
        self._key = key
        self._ttl = max(1, math.ceil(ttl))
        self._token = uuid.uuid4().hex.encode()
        self._lease = 0

    async def acquire(self) -> bool:
        """``True`` when obtained, ``False`` at once when another unexpired handle holds it."""
        lease = await self._gateway.grant(self._ttl)
        absent = {
            "key": b64(self._key),
            "target": "CREATE",
            "result": "EQUAL",
            "create_revision": "0",
        }
        if await self._gateway.txn([absent], [put(self._key, self._token, lease)]):
            self._lease = lease
            return True
        await self._gateway.revoke(lease)
        return False

    async def release(self) -> None:
        mine = {
            "key": b64(self._key),
            "target": "VALUE",
            "result": "EQUAL",
            "value": b64(self._token),
        }
        await self._gateway.txn([mine], [delete(self._key)])
        if self._lease:
            lease, self._lease = self._lease, 0
            await self._gateway.revoke(lease)

    async def __aenter__(self) -> bool:
        return await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.release()


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
