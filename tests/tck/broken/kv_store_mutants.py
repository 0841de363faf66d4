"""Deliberately broken KV stores: each has one realistic bug the KV contract forbids.

``CorrectKVStore`` is the control: tenant-aware, one store per class shared by its instances
(like clients of one server), so the same classes also run under the multi-tenancy mixin.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import unicodedata
from typing import Any, ClassVar


class CorrectKVStore:
    """Control: correct."""

    _store: ClassVar[dict[Any, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._store = {}  # every class (mutant) has its own backing store

    def __init__(self, tenant_id: str | None = None) -> None:
        self.tenant = tenant_id

    def k(self, key: str) -> Any:
        return (self.tenant, key)

    async def get(self, key: str) -> str | None:
        await asyncio.sleep(0)
        return self._store.get(self.k(key))

    async def set(self, key: str, value: str) -> None:
        await asyncio.sleep(0)
        self._store[self.k(key)] = value

    async def delete(self, key: str) -> None:
        await asyncio.sleep(0)
        self._store.pop(self.k(key), None)


class PrefixDelete(CorrectKVStore):
    """delete removes every key that starts with the given key (a `DEL key*` style bug)."""

    async def delete(self, key: str) -> None:
        for t, stored in list(self._store):
            if t == self.tenant and stored.startswith(key):
                del self._store[(t, stored)]


class GetFallsBackToPrefix(CorrectKVStore):
    """get answers a missing key with the value of a longer key starting with it (LIKE 'k%')."""

    async def get(self, key: str) -> str | None:
        for (t, stored), value in self._store.items():
            if t == self.tenant and stored.startswith(key):
                return value
        return None


class CaseInsensitiveKeys(CorrectKVStore):
    """keys are lower-cased (a case-insensitive collation)."""

    def k(self, key: str) -> Any:
        return (self.tenant, key.lower())


class EmptyValueIsMissing(CorrectKVStore):
    """an empty string value reads back as None (`return value or None`)."""

    async def get(self, key: str) -> str | None:
        return self._store.get(self.k(key)) or None


class DeleteRaisesOnMissingKey(CorrectKVStore):
    """delete of a missing key raises KeyError (`del d[key]`)."""

    async def delete(self, key: str) -> None:
        del self._store[self.k(key)]


class LostUpdatesUnderConcurrency(CorrectKVStore):
    """set copies the store, awaits I/O, then writes the copy back: concurrent sets are lost."""

    async def set(self, key: str, value: str) -> None:
        snapshot = dict(type(self)._store)
        await asyncio.sleep(0)
        snapshot[self.k(key)] = value
        type(self)._store = snapshot

    async def delete(self, key: str) -> None:
        snapshot = dict(type(self)._store)
        await asyncio.sleep(0)
        snapshot.pop(self.k(key), None)
        type(self)._store = snapshot


class StripsValues(CorrectKVStore):
    """values are stripped of surrounding whitespace."""

    async def set(self, key: str, value: str) -> None:
        self._store[self.k(key)] = value.strip()


class DecodesJsonValues(CorrectKVStore):
    """values are JSON-decoded on read when they parse ("null" -> None, "0" -> 0)."""

    async def get(self, key: str) -> Any:
        value = self._store.get(self.k(key))
        try:
            return json.loads(value) if value is not None else None
        except ValueError:
            return value


class TruncatesLargeValues(CorrectKVStore):
    """values are cut to 64 KiB (a column size limit)."""

    async def set(self, key: str, value: str) -> None:
        self._store[self.k(key)] = value[: 64 * 1024]


class NormalizesUnicodeKeys(CorrectKVStore):
    """keys are NFC-normalized, so distinct code point sequences collide."""

    def k(self, key: str) -> Any:
        return (self.tenant, unicodedata.normalize("NFC", key))


class DeleteLeavesTombstoneThatHidesLaterSets(CorrectKVStore):
    """delete records a tombstone that a later set does not clear."""

    _deleted: ClassVar[set[Any]] = set()

    async def delete(self, key: str) -> None:
        self._store.pop(self.k(key), None)
        type(self)._deleted.add(self.k(key))

    async def get(self, key: str) -> str | None:
        return None if self.k(key) in self._deleted else self._store.get(self.k(key))


class RejectsEmptyKey(CorrectKVStore):
    """the empty key is refused with ValueError."""

    def k(self, key: str) -> Any:
        if not key:
            raise ValueError("empty key")
        return (self.tenant, key)


class GlobMatchingGet(CorrectKVStore):
    """get treats the key as a glob pattern (Redis KEYS-style lookup)."""

    async def get(self, key: str) -> str | None:
        for (t, stored), value in self._store.items():
            if t == self.tenant and fnmatch.fnmatchcase(stored, key):
                return value
        return None


class StoresRepr(CorrectKVStore):
    """values are returned as their repr-quoted form for non-ASCII text (an encoding bug)."""

    async def get(self, key: str) -> str | None:
        value = self._store.get(self.k(key))
        return value.encode("ascii", "backslashreplace").decode() if value is not None else None
