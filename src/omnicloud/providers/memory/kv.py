"""In-memory key-value store, tenant-aware.

    [providers.memory-kv]
    contract = "kv_store"
    factory = "omnicloud.providers.memory.kv:InMemoryKVStore"
    policies = ["multi_tenancy"]
    options = { namespace = "omnicloud-certify" }

Entries are keyed by the pair ``(tenant_id, key)``, so no choice of tenant ids and keys can make
two tenants' entries collide (``"a"`` + ``"bc"`` is not ``"ab"`` + ``"c"``).
"""

from __future__ import annotations

import asyncio

from omnicloud.providers.memory import SharedStores

Entries = dict[tuple[str | None, str], str]

_STORES: SharedStores[Entries] = SharedStores(dict)


def _check_str(what: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    return value


class InMemoryKVStore:
    """A KV store scoped to ``tenant_id`` (``None``: the untenanted scope).

    ``namespace`` picks a process-wide backing store shared by every instance created with the
    same name; without it the instance gets a private, empty store.
    """

    def __init__(self, tenant_id: str | None = None, *, namespace: str | None = None) -> None:
        if tenant_id is not None:
            _check_str("tenant_id", tenant_id)
        self._tenant = tenant_id
        self._entries = _STORES.get(namespace)

    async def get(self, key: str) -> str | None:
        await asyncio.sleep(0)  # let concurrent callers interleave, as against a server
        return self._entries.get((self._tenant, _check_str("key", key)))

    async def set(self, key: str, value: str) -> None:
        entry = (self._tenant, _check_str("key", key))
        _check_str("value", value)
        await asyncio.sleep(0)
        self._entries[entry] = value

    async def delete(self, key: str) -> None:
        entry = (self._tenant, _check_str("key", key))
        await asyncio.sleep(0)
        self._entries.pop(entry, None)
