"""Deliberately broken tenant-aware KV stores, run under KV + the multi-tenancy mixin."""

from __future__ import annotations

import zlib
from typing import Any, ClassVar

from kv_store_mutants import CorrectKVStore


class CorrectTenantKVStore(CorrectKVStore):
    """Control: correct."""


class IgnoresTenant(CorrectKVStore):
    """the tenant id is ignored: every tenant shares one key space."""

    def k(self, key: str) -> Any:
        return key


class PrivateDictPerInstance(CorrectKVStore):
    """each instance keeps a private dict: isolated, but two instances of a tenant share nothing
    (passes upstream's two mixin tests)."""

    def __init__(self, tenant_id: str | None = None) -> None:
        super().__init__(tenant_id)
        vars(self)["_store"] = {}  # an instance attribute shadowing the class-wide store


class ConcatenatedTenantKey(CorrectKVStore):
    """the storage key is tenant + key, so "a"+"bc" collides with "ab"+"c"."""

    def k(self, key: str) -> Any:
        return f"{self.tenant or ''}{key}"


class ColonJoinedTenantKey(CorrectKVStore):
    """the storage key is f"{tenant}:{key}" without escaping."""

    def k(self, key: str) -> Any:
        return f"{self.tenant}:{key}"


class CaseInsensitiveTenants(CorrectKVStore):
    """tenant ids are lower-cased."""

    def k(self, key: str) -> Any:
        return ((self.tenant or "").lower(), key)


class TenantsShardedIntoBuckets(CorrectKVStore):
    """tenants are mapped to 8 buckets and the bucket, not the tenant, scopes the key."""

    def k(self, key: str) -> Any:
        return (zlib.crc32((self.tenant or "").encode()) % 8, key)


class DeleteIgnoresTenant(CorrectKVStore):
    """delete removes the key from every tenant."""

    async def delete(self, key: str) -> None:
        for entry in [e for e in self._store if e[1] == key]:
            del self._store[entry]


class TenantPrefixScope(CorrectKVStore):
    """reads fall back to any tenant whose id starts with the reader's (a LIKE 'tenant%' scan)."""

    _store: ClassVar[dict[Any, str]] = {}

    async def get(self, key: str) -> str | None:
        for (tenant, stored), value in self._store.items():
            if stored == key and (tenant or "").startswith(self.tenant or ""):
                return value
        return None


class NoTenantStoredAsTheStringNone(CorrectKVStore):
    """the tenant is stringified, so the untenanted scope is tenant "None"."""

    def k(self, key: str) -> Any:
        return (str(self.tenant), key)
