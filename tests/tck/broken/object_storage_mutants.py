"""Deliberately broken object stores: each has one realistic bug the contract forbids."""

from __future__ import annotations

import asyncio
from typing import Any

from tck_py.shared.exceptions import ObjectNotFoundError


class CorrectObjectStorage:
    """Control: correct."""

    def __init__(self) -> None:
        self.objects: dict[str, Any] = {}

    async def upload(self, object_key: str, data: bytes) -> None:
        await asyncio.sleep(0)
        self.objects[object_key] = bytes(data)

    async def download(self, object_key: str) -> Any:
        await asyncio.sleep(0)
        if object_key not in self.objects:
            raise ObjectNotFoundError(object_key)
        return self.objects[object_key]

    async def delete(self, object_key: str) -> None:
        await asyncio.sleep(0)
        self.objects.pop(object_key, None)


class EmptyObjectIsMissing(CorrectObjectStorage):
    """an empty object is reported as missing (`if not data: raise`)."""

    async def download(self, object_key: str) -> Any:
        data = await super().download(object_key)
        if not data:
            raise ObjectNotFoundError(object_key)
        return data


class MissingObjectReturnsNone(CorrectObjectStorage):
    """a missing object downloads as None instead of raising."""

    async def download(self, object_key: str) -> Any:
        return self.objects.get(object_key)


class MissingObjectRaisesKeyError(CorrectObjectStorage):
    """a missing object raises KeyError instead of ObjectNotFoundError."""

    async def download(self, object_key: str) -> Any:
        return self.objects[object_key]


class TranslatesNewlines(CorrectObjectStorage):
    """payloads pass through text mode: CRLF becomes LF."""

    async def upload(self, object_key: str, data: bytes) -> None:
        self.objects[object_key] = data.replace(b"\r\n", b"\n")


class OverwriteKeepsOldTail(CorrectObjectStorage):
    """an overwrite writes into the old buffer without truncating it."""

    async def upload(self, object_key: str, data: bytes) -> None:
        old = self.objects.get(object_key, b"")
        self.objects[object_key] = data + old[len(data) :]


class PrefixDelete(CorrectObjectStorage):
    """delete removes every object whose key starts with the given key."""

    async def delete(self, object_key: str) -> None:
        for key in [k for k in self.objects if k.startswith(object_key)]:
            del self.objects[key]


class CaseInsensitiveKeys(CorrectObjectStorage):
    """keys are case-folded (a case-insensitive file system)."""

    async def upload(self, object_key: str, data: bytes) -> None:
        await super().upload(object_key.lower(), data)

    async def download(self, object_key: str) -> Any:
        return await super().download(object_key.lower())


class ReturnsMutableBuffer(CorrectObjectStorage):
    """downloads return the stored bytearray itself."""

    async def upload(self, object_key: str, data: bytes) -> None:
        self.objects[object_key] = bytearray(data)


class LostUploadsUnderConcurrency(CorrectObjectStorage):
    """upload rebuilds the index from a snapshot taken before an await."""

    async def upload(self, object_key: str, data: bytes) -> None:
        snapshot = dict(self.objects)
        await asyncio.sleep(0)
        snapshot[object_key] = bytes(data)
        self.objects = snapshot


class TruncatesAtOneMiB(CorrectObjectStorage):
    """only the first 1 MiB chunk of a payload is kept."""

    async def upload(self, object_key: str, data: bytes) -> None:
        self.objects[object_key] = bytes(data[: 1024 * 1024])


class DownloadFallsBackToPrefix(CorrectObjectStorage):
    """a missing key downloads the first object whose key starts with it."""

    async def download(self, object_key: str) -> Any:
        for key, data in self.objects.items():
            if key.startswith(object_key):
                return data
        raise ObjectNotFoundError(object_key)
