"""KV store + multi-tenancy: upstream-style test classes (spec 1.9) and our reference providers."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from omnicloud.providers.memory.kv import InMemoryKVStore as MemoryKV
from omnicloud.providers.sqlite.kv import SQLiteKVStore
from tck_py.policies import multi_tenancy as mt
from tck_py.primitives.kv_store import BaseTestKVStoreContract


class UpstreamReferenceKVStore:
    """Shaped like upstream's ``tests/reference`` KV store: a dict, yielding once per call."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}

    async def set(self, key: str, value: str) -> None:
        await asyncio.sleep(0)
        self._data[key] = value

    async def get(self, key: str) -> str | None:
        await asyncio.sleep(0)
        return self._data.get(key)

    async def delete(self, key: str) -> None:
        await asyncio.sleep(0)
        self._data.pop(key, None)


class TestUpstreamReferenceKVStoreCompliance(BaseTestKVStoreContract):
    @pytest.fixture
    def provider_factory(self) -> Any:
        async def _factory(**config: Any) -> UpstreamReferenceKVStore:
            return UpstreamReferenceKVStore()

        return _factory


class TestMemoryKVStoreCompliance(BaseTestKVStoreContract, mt.TestMultiTenancyContractMixin):
    @pytest.fixture
    def provider_factory(self) -> Any:
        namespace = f"compat-{uuid.uuid4()}"

        async def _factory(tenant_id: str | None = None, **config: Any) -> MemoryKV:
            return MemoryKV(tenant_id, namespace=namespace)

        return _factory


class TestSQLiteFileKVStoreCompliance(BaseTestKVStoreContract, mt.TestMultiTenancyContractMixin):
    @pytest.fixture
    async def provider_factory(self, tmp_path: Any) -> Any:
        created: list[SQLiteKVStore] = []

        async def _factory(tenant_id: str | None = None, **config: Any) -> SQLiteKVStore:
            store = SQLiteKVStore(str(tmp_path / "kv.sqlite3"), tenant_id=tenant_id)
            created.append(store)
            return store

        yield _factory
        for store in created:
            await store.close()


class TestSQLiteSharedMemoryKVStoreCompliance(
    BaseTestKVStoreContract, mt.TestMultiTenancyContractMixin
):
    @pytest.fixture
    async def provider_factory(self) -> Any:
        path = f"file:compat-{uuid.uuid4()}?mode=memory&cache=shared"
        created: list[SQLiteKVStore] = []

        async def _factory(tenant_id: str | None = None, **config: Any) -> SQLiteKVStore:
            store = SQLiteKVStore(path, tenant_id=tenant_id)
            created.append(store)
            return store

        yield _factory
        for store in created:
            await store.close()


async def test_sqlite_file_store_keeps_data_across_reopen(tmp_path: Any) -> None:
    path = str(tmp_path / "kv.sqlite3")
    first = SQLiteKVStore(path, tenant_id="t")
    await first.set("key", "durable")
    await first.close()
    second = SQLiteKVStore(path, tenant_id="t")
    try:
        assert await second.get("key") == "durable"
    finally:
        await second.close()


async def test_private_memory_stores_do_not_share_data() -> None:
    first, second = MemoryKV(), MemoryKV()
    await first.set("key", "first")
    assert await second.get("key") is None


async def test_sqlite_private_memory_stores_do_not_share_data() -> None:
    first, second = SQLiteKVStore(), SQLiteKVStore()
    try:
        await first.set("key", "first")
        assert await second.get("key") is None
    finally:
        await first.close()
        await second.close()


async def test_closed_sqlite_store_refuses_calls() -> None:
    store = SQLiteKVStore()
    await store.close()
    with pytest.raises(RuntimeError, match="closed"):
        await store.get("key")


async def test_memory_store_rejects_non_str_values() -> None:
    with pytest.raises(TypeError, match="value must be a str, got int"):
        await MemoryKV().set("key", 1)  # type: ignore[arg-type]
