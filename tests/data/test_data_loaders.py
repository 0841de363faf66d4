"""Loaders: records enter a provider through its own protocol and always leave again."""

from __future__ import annotations

import json
from typing import Any

import pytest
from datahelp import datasets, users

from omnicloud.data import LoadError, generate, load_dataset
from omnicloud.errors import ExitCode
from omnicloud.providers.memory.document import InMemoryDocumentDatabase
from omnicloud.providers.memory.kv import InMemoryKVStore
from omnicloud.providers.memory.object_storage import InMemoryObjectStorage
from tck_py.shared.exceptions import ObjectNotFoundError


async def test_kv_load_and_remove() -> None:
    kv = InMemoryKVStore()
    dataset = generate("users", users(count=20))
    async with load_dataset(kv, dataset, namespace="t-1") as loaded:
        assert loaded.kind == "kv"
        assert len(loaded) == 20
        first = dataset.records()[0]
        assert loaded.addresses[0] == f"t-1:users:{first['id']}"
        stored = await kv.get(loaded.addresses[0])
        assert stored is not None
        assert json.loads(stored) == first
    for address in loaded.addresses:
        assert await kv.get(address) is None


async def test_records_are_removed_when_the_block_raises() -> None:
    kv = InMemoryKVStore()
    dataset = generate("users", users(count=5))
    seen: list[str] = []

    async def failing_test() -> None:
        async with load_dataset(kv, dataset, namespace="t-2") as loaded:
            seen.extend(loaded.addresses)
            assert await kv.get(loaded.addresses[4]) is not None
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        await failing_test()
    assert len(seen) == 5
    assert [await kv.get(a) for a in seen] == [None] * 5


async def test_document_load_uses_namespaced_ids() -> None:
    db = InMemoryDocumentDatabase()
    dataset = generate("users", users(count=6))
    async with load_dataset(db, dataset, namespace="t-3") as loaded:
        assert (loaded.kind, loaded.collection) == ("document", "users")
        record = dataset.records()[2]
        found = await db.find_one("users", {"_id": f"t-3:{record['id']}"})
        assert found == {**record, "_id": f"t-3:{record['id']}"}
        assert len(await db.find_many("users", {})) == 6
    assert await db.find_many("users", {}) == []


async def test_object_load_and_explicit_kind() -> None:
    store = InMemoryObjectStorage()
    dataset = generate("users", users(count=3))
    async with load_dataset(store, dataset, namespace="t-4", kind="object") as loaded:
        data = await store.download(loaded.addresses[1])
        assert json.loads(data) == dataset.records()[1]
        assert loaded.addresses[1].startswith("t-4/users/")
        assert loaded.addresses[1].endswith(".json")
    with pytest.raises(ObjectNotFoundError):
        await store.download(loaded.addresses[1])


async def test_records_without_an_id_are_keyed_by_index() -> None:
    kv = InMemoryKVStore()
    dataset = generate("t", datasets(t={"count": 3, "fields": {"n": "int"}}))
    async with load_dataset(kv, dataset, namespace="ns") as loaded:
        assert loaded.addresses == ("ns:t:0", "ns:t:1", "ns:t:2")


class FlakyKV(InMemoryKVStore):
    """Fails the ``fail_at``-th set, like a connection dropping part-way."""

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.fail_at = fail_at
        self.calls = 0
        self.keys: list[str] = []

    async def set(self, key: str, value: str) -> None:
        self.calls += 1
        if self.calls == self.fail_at:
            raise ConnectionError("connection reset by peer")
        self.keys.append(key)
        await super().set(key, value)


async def test_a_load_failing_part_way_removes_what_it_loaded() -> None:
    kv = FlakyKV(fail_at=4)
    dataset = generate("t", datasets(t={"count": 10, "fields": {"n": "int"}}))
    with pytest.raises(LoadError) as caught:
        async with load_dataset(kv, dataset, namespace="ns"):
            pytest.fail("the block must not run when the load failed")
    assert caught.value.message == (
        "loading dataset 't', record 3: kv set 'ns:t:3' failed:"
        " ConnectionError: connection reset by peer; removed the 3"
        " records loaded before it"
    )
    assert caught.value.exit_code == ExitCode.INFRASTRUCTURE
    assert kv.keys == ["ns:t:0", "ns:t:1", "ns:t:2"]
    assert [await kv.get(k) for k in kv.keys] == [None, None, None]


async def test_duplicate_record_keys_name_the_field_and_record() -> None:
    dataset = generate("t", datasets(t={"count": 30, "fields": {"id": "int:1..5"}}))
    with pytest.raises(LoadError) as caught:
        async with load_dataset(InMemoryKVStore(), dataset, namespace="ns"):
            pass
    values = dataset.column("id")
    second = next(i for i, v in enumerate(values) if v in values[:i])
    assert caught.value.message == (
        f"loading dataset 't', field 'id', record {second}: the record key"
        f" '{values[second]}' repeats record {values.index(values[second])}"
    )


class NotAStore:
    def put(self, item: Any) -> None:
        raise AssertionError("never called")


async def test_a_provider_without_a_known_protocol() -> None:
    dataset = generate("users", users(count=1))
    with pytest.raises(LoadError) as caught:
        async with load_dataset(NotAStore(), dataset, namespace="ns"):
            pass
    assert caught.value.message == (
        "loading dataset 'users': NotAStore has none of insert_one"
        " (document), upload (object), set (kv)"
    )
    with pytest.raises(LoadError) as caught:
        async with load_dataset(InMemoryKVStore(), dataset, namespace="ns", kind="keyvalue"):
            pass
    assert caught.value.message == (
        "loading dataset 'users': unknown loader 'keyvalue' (accepted: 'document', 'kv', 'object')"
    )


class SyncKV:
    """Sync methods work too (some user providers are not async)."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def set(self, key: str, value: str) -> None:
        self.data[key] = value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


async def test_sync_providers() -> None:
    kv = SyncKV()
    async with load_dataset(kv, generate("users", users(count=4)), namespace="ns"):
        assert len(kv.data) == 4
    assert kv.data == {}
