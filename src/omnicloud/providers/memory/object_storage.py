"""In-memory object storage.

[providers.memory-objects]
contract = "object_storage"
factory = "omnicloud.providers.memory.object_storage:InMemoryObjectStorage"
"""

from __future__ import annotations

import asyncio

from omnicloud.providers.memory import SharedStores
from tck_py.shared.exceptions import ObjectNotFoundError

_STORES: SharedStores[dict[str, bytes]] = SharedStores(dict)


class InMemoryObjectStorage:
    """Objects as immutable ``bytes`` by exact key; ``namespace`` shares the store."""

    def __init__(self, *, namespace: str | None = None) -> None:
        self._objects = _STORES.get(namespace)

    async def upload(self, object_key: str, data: bytes | bytearray | memoryview) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, got {type(data).__name__}")
        payload = bytes(data)  # a copy: later changes to a bytearray do not reach the store
        await asyncio.sleep(0)
        self._objects[object_key] = payload

    async def download(self, object_key: str) -> bytes:
        await asyncio.sleep(0)
        try:
            return self._objects[object_key]
        except KeyError:
            raise ObjectNotFoundError(f"no object under key {object_key!r}") from None

    async def delete(self, object_key: str) -> None:
        await asyncio.sleep(0)
        self._objects.pop(object_key, None)
