"""Object storage: an upstream-style test class (spec 1.9) and our reference provider."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from omnicloud.providers.memory.object_storage import InMemoryObjectStorage as MemoryObjects
from tck_py.primitives.object_storage import BaseTestObjectStorageContract
from tck_py.shared.exceptions import ObjectNotFoundError


class UpstreamReferenceObjectStorage:
    def __init__(self) -> None:
        self._objects: dict[str, bytes] = {}

    async def upload(self, object_key: str, data: bytes) -> None:
        await asyncio.sleep(0)
        self._objects[object_key] = data

    async def download(self, object_key: str) -> bytes:
        await asyncio.sleep(0)
        if object_key not in self._objects:
            raise ObjectNotFoundError(f"Object with key '{object_key}' not found.")
        return self._objects[object_key]

    async def delete(self, object_key: str) -> None:
        await asyncio.sleep(0)
        self._objects.pop(object_key, None)


class TestUpstreamReferenceObjectStorageCompliance(BaseTestObjectStorageContract):
    @pytest.fixture
    def provider_factory(self) -> Any:
        async def _factory(**config: Any) -> UpstreamReferenceObjectStorage:
            return UpstreamReferenceObjectStorage()

        return _factory


class TestMemoryObjectStorageCompliance(BaseTestObjectStorageContract):
    @pytest.fixture
    def provider_factory(self) -> Any:
        async def _factory(**config: Any) -> MemoryObjects:
            return MemoryObjects(**config)

        return _factory


async def test_memory_object_storage_copies_a_bytearray_on_upload() -> None:
    storage, data = MemoryObjects(), bytearray(b"abc")
    await storage.upload("key", data)
    data[0] = ord("X")
    assert await storage.download("key") == b"abc"


async def test_memory_object_storage_namespace_is_shared() -> None:
    await MemoryObjects(namespace="compat-objects").upload("key", b"shared")
    assert await MemoryObjects(namespace="compat-objects").download("key") == b"shared"
