"""The etcd interface store: keyvalue_basic, _scan, _ttl, _cas, _batch and _transactional.

Every store keeps its keys under ``<prefix><namespace>/kv/`` (the namespace is random unless
given), so the stores a suite creates never see each other's keys. Conditional writes are etcd
transactions guarded by the key's ``mod_revision`` (0 for an absent key): a compare-and-swap
re-reads and retries when another client wrote between its read and its transaction, and a
multi-key transaction commits only if no key it read has moved. TTLs are leases plus a deadline
in the value (see ``_values``).
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from omnicloud.providers.etcd._gateway import (
    DEFAULT_URL,
    EtcdGateway,
    b64,
    delete,
    key_values,
    put,
    range_end,
    unchanged,
)
from omnicloud.providers.etcd._values import Stored, decode_value, encode_value
from omnicloud.providers.transactions import DELETED, BufferedTransaction
from tck_py.interfaces.errors import TransactionConflictError

IMPLEMENTS: tuple[str, ...] = (
    "keyvalue_basic",
    "keyvalue_scan",
    "keyvalue_ttl",
    "keyvalue_transactional",
    "keyvalue_batch",
    "keyvalue_cas",
)
#: etcd's default ``--max-txn-ops``: a batch is sent as transactions of at most this many keys.
MAX_TXN_OPS = 128


def _positive(name: str, value: float) -> None:
    if math.isnan(value) or value <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")


class EtcdTransaction(BufferedTransaction[int]):
    """Buffered writes and the ``mod_revision`` of what was read; ``commit`` is one etcd txn."""

    def __init__(self, store: EtcdStore) -> None:
        super().__init__()
        self._store = store

    async def _read_versioned(self, key: str) -> tuple[str | None, int]:
        stored, revision = await self._store._read(key)
        return (None if stored is None else stored.value), revision

    async def _commit_buffered(self, read: dict[str, int], writes: dict[str, object]) -> None:
        store = self._store
        compare = [unchanged(store._key(k), rev) for k, rev in read.items()]
        success = [
            delete(store._key(k)) if v is DELETED else put(store._key(k), encode_value(str(v)))
            for k, v in writes.items()
        ]
        if not await store._gateway.txn(compare, success):
            raise TransactionConflictError("a key read by the transaction was written since")


class EtcdStore:
    """String keys and values in etcd, with scans, TTLs, compare-and-swap and transactions."""

    def __init__(self, gateway: EtcdGateway, root: bytes, private: bool = True) -> None:
        self._gateway = gateway
        self._root = root
        self._private = private
        self._loop = asyncio.get_running_loop()

    def _key(self, key: str) -> bytes:
        return self._root + key.encode("utf-8", "surrogatepass")

    async def _read(self, key: str) -> tuple[Stored | None, int]:
        """The live value (None when absent or expired) and the key's ``mod_revision``."""
        found = await self._gateway.get(self._key(key))
        if found is None:
            return None, 0
        stored = decode_value(found.value)
        return (stored if stored.alive(time.time()) else None), found.mod_revision

    async def _put(self, key: str, value: str, ttl: float | None = None) -> None:
        if ttl is None:
            raw = encode_value(value)
            await self._gateway.call("kv/put", put(self._key(key), raw)["request_put"])
            return
        lease = await self._gateway.grant(math.ceil(ttl))
        raw = encode_value(value, time.time() + ttl)
        await self._gateway.call("kv/put", put(self._key(key), raw, lease)["request_put"])

    async def _swap(self, key: str, revision: int, ops: list[dict[str, Any]]) -> bool:
        return await self._gateway.txn([unchanged(self._key(key), revision)], ops)

    # ------------------------------------------------------------------------------ basic
    async def set(self, key: str, value: str) -> None:
        await self._put(key, value)

    async def get(self, key: str) -> str | None:
        stored, _ = await self._read(key)
        return None if stored is None else stored.value

    async def delete(self, key: str) -> bool:
        reply = await self._gateway.call("kv/deleterange", {"key": b64(self._key(key))})
        return int(reply.get("deleted", 0)) > 0

    async def exists(self, key: str) -> bool:
        stored, _ = await self._read(key)
        return stored is not None

    # ------------------------------------------------------------------------------- scan
    async def _live(self, prefix: str) -> list[tuple[str, str]]:
        now = time.time()
        pairs = []
        for kv in await self._gateway.scan(self._key(prefix)):
            stored = decode_value(kv.value)
            if stored.alive(now):
                key = kv.key[len(self._root) :].decode("utf-8", "surrogatepass")
                pairs.append((key, stored.value))
        return pairs

    async def scan(self, prefix: str = "", limit: int | None = None) -> list[tuple[str, str]]:
        return (await self._live(prefix))[:limit]

    async def scan_keys(self, prefix: str = "", limit: int | None = None) -> list[str]:
        return [key for key, _ in await self.scan(prefix, limit)]

    async def count(self, prefix: str = "") -> int:
        return len(await self._live(prefix))

    # -------------------------------------------------------------------------------- ttl
    async def set_with_ttl(self, key: str, value: str, ttl: float) -> None:
        _positive("ttl", ttl)
        await self._put(key, value, ttl)

    async def expire(self, key: str, ttl: float) -> bool:
        while True:
            stored, revision = await self._read(key)
            if stored is None:
                return False
            if ttl <= 0:
                if await self._swap(key, revision, [delete(self._key(key))]):
                    return True
                continue
            lease = await self._gateway.grant(math.ceil(ttl))
            raw = encode_value(stored.value, time.time() + ttl)
            if await self._swap(key, revision, [put(self._key(key), raw, lease)]):
                return True
            await self._gateway.revoke(lease)

    async def get_ttl(self, key: str) -> float | None:
        stored, _ = await self._read(key)
        if stored is None:
            return None
        return math.inf if stored.deadline is None else max(0.0, stored.deadline - time.time())

    async def persist(self, key: str) -> bool:
        while True:
            stored, revision = await self._read(key)
            if stored is None or stored.deadline is None:
                return False
            ops = [put(self._key(key), encode_value(stored.value))]
            if await self._swap(key, revision, ops):
                return True

    # -------------------------------------------------------------------------------- cas
    async def compare_and_swap(self, key: str, expected: str | None, value: str) -> bool:
        while True:
            stored, revision = await self._read(key)
            if (None if stored is None else stored.value) != expected:
                return False
            if await self._swap(key, revision, [put(self._key(key), encode_value(value))]):
                return True

    async def compare_and_delete(self, key: str, expected: str) -> bool:
        while True:
            stored, revision = await self._read(key)
            if stored is None or stored.value != expected:
                return False
            if await self._swap(key, revision, [delete(self._key(key))]):
                return True

    # ------------------------------------------------------------------------------ batch
    async def _batches(self, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Run ``ops`` as transactions of up to ``MAX_TXN_OPS``; their responses, in order."""
        responses: list[dict[str, Any]] = []
        for start in range(0, len(ops), MAX_TXN_OPS):
            chunk = ops[start : start + MAX_TXN_OPS]
            reply = await self._gateway.call("kv/txn", {"compare": [], "success": chunk})
            responses.extend(reply.get("responses", [{}] * len(chunk)))
        return responses

    async def batch_set(self, items: Mapping[str, str]) -> None:
        await self._batches([put(self._key(k), encode_value(v)) for k, v in items.items()])

    async def batch_get(self, keys: Sequence[str]) -> list[str | None]:
        distinct = list(dict.fromkeys(keys))
        ranges = [{"request_range": {"key": b64(self._key(k))}} for k in distinct]
        now, found = time.time(), {}
        for key, response in zip(distinct, await self._batches(ranges), strict=True):
            for kv in key_values(response.get("response_range", {})):
                stored = decode_value(kv.value)
                if stored.alive(now):
                    found[key] = stored.value
        return [found.get(key) for key in keys]

    async def batch_delete(self, keys: Sequence[str]) -> int:
        """Delete ``keys``; the count is of live values removed (``prev_kv`` tells)."""
        distinct = list(dict.fromkeys(keys))
        deletes = [
            {"request_delete_range": {"key": b64(self._key(k)), "prev_kv": True}} for k in distinct
        ]
        now, removed = time.time(), 0
        for response in await self._batches(deletes):
            previous = response.get("response_delete_range", {}).get("prev_kvs", [])
            removed += sum(
                decode_value(kv.value).alive(now) for kv in key_values({"kvs": previous})
            )
        return removed

    # ----------------------------------------------------------------------- transactions
    async def begin_transaction(self) -> EtcdTransaction:
        return EtcdTransaction(self)

    # ---------------------------------------------------------------------------- closing
    async def aclose(self) -> None:
        """Delete this store's keys when its namespace was private, then close the session.

        The HTTP session belongs to the loop that made the store: from another loop, the close
        runs on that one.
        """
        if self._gateway.closed:
            return
        if asyncio.get_running_loop() is not self._loop:
            future = asyncio.run_coroutine_threadsafe(self.aclose(), self._loop)
            await asyncio.wrap_future(future)
            return
        try:
            if self._private:
                await self._gateway.call(
                    "kv/deleterange",
                    {"key": b64(self._root), "range_end": b64(range_end(self._root))},
                )
        finally:
            await self._gateway.aclose()

    close = aclose


def namespace_root(prefix: str, namespace: str | None, kind: str) -> bytes:
    """``<prefix><namespace>/<kind>/`` as bytes (a random namespace when none is given)."""
    return f"{prefix}{namespace or uuid.uuid4().hex}/{kind}/".encode()


async def create_store(
    url: str = DEFAULT_URL, prefix: str = "", namespace: str | None = None
) -> EtcdStore:
    """Factory for ``factory = "omnicloud.providers.etcd:create_store"``.

    ``prefix``: the worker's key prefix (``{services.etcd.prefix}``); ``namespace``: share keys
    with every store given the same one (default: a private one).
    """
    root = namespace_root(prefix, namespace, "kv")
    return EtcdStore(EtcdGateway(url), root, private=namespace is None)
