"""In-memory document database (Mongo-style subset), plus the query helpers other backends reuse.

    [providers.memory-docs]
    contract = "document_database"
    factory = "omnicloud.providers.memory.document:InMemoryDocumentDatabase"

Supported: filters of top-level field equality (several fields must all match; ``{}`` matches
every document; JSON equality: lists and objects match only an equal list or object, never one
that contains them, and a bool never equals a number), updates ``{"$set": {field: value}}``.
Anything else raises ``ValueError`` naming what is not supported. Documents are deep-copied on
the way in and out, so callers never share state with the store.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Mapping
from typing import Any

from omnicloud.providers.memory import SharedStores

Document = dict[str, Any]

_STORES: SharedStores[dict[str, dict[Any, Document]]] = SharedStores(dict)


class DuplicateDocumentError(ValueError):
    """``insert_one`` with an ``_id`` that the collection already holds."""


def check_filter(filter: Mapping[str, Any]) -> None:
    if not isinstance(filter, Mapping):
        raise ValueError(f"a filter must be a mapping of field -> value, got {filter!r}")
    for field in filter:
        if not isinstance(field, str) or field.startswith("$"):
            raise ValueError(f"unsupported filter key {field!r}: filters are field equality")


def same_value(left: Any, right: Any) -> bool:
    """JSON equality: exact for lists (order and length) and objects (same keys), and, like
    MongoDB and JSONB, a bool never equals a number at any depth (Python says ``True == 1``).
    """
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(same_value(left[k], right[k]) for k in left)
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(map(same_value, left, right))
    if isinstance(left, Mapping | list | tuple) or isinstance(right, Mapping | list | tuple):
        return False
    return bool(left == right)


def matches(document: Mapping[str, Any], filter: Mapping[str, Any]) -> bool:
    """True when every filter field is present in ``document`` with an equal value."""
    return all(
        field in document and same_value(document[field], value) for field, value in filter.items()
    )


def updated(document: Document, update_spec: Mapping[str, Any]) -> Document:
    """A new document: ``document`` with the ``$set`` fields of ``update_spec`` applied."""
    if not isinstance(update_spec, Mapping) or set(update_spec) != {"$set"}:
        raise ValueError(f"unsupported update {update_spec!r}: only {{'$set': {{...}}}} is")
    changes = update_spec["$set"]
    if not isinstance(changes, Mapping):
        raise ValueError(f"$set needs a mapping of field -> value, got {changes!r}")
    if "_id" in changes and not same_value(changes["_id"], document.get("_id")):
        raise ValueError("$set cannot change a document's _id")
    return {**copy.deepcopy(document), **copy.deepcopy(dict(changes))}


def prepared(document: Mapping[str, Any]) -> Document:
    """A deep copy of ``document`` with an ``_id`` (a new uuid when it had none)."""
    if not isinstance(document, Mapping):
        raise ValueError(f"a document must be a mapping, got {type(document).__name__}")
    result = copy.deepcopy(dict(document))
    result.setdefault("_id", uuid.uuid4().hex)
    return result


class InMemoryDocumentDatabase:
    """Collections of documents by ``_id``; ``namespace`` shares the store between instances."""

    def __init__(self, *, namespace: str | None = None) -> None:
        self._collections = _STORES.get(namespace)

    async def insert_one(self, collection: str, document: dict[str, Any]) -> Any:
        stored = prepared(document)
        if isinstance(document, dict):
            document.setdefault("_id", stored["_id"])  # as pymongo does: the caller learns it
        await asyncio.sleep(0)
        docs = self._collections.setdefault(collection, {})
        if stored["_id"] in docs:
            raise DuplicateDocumentError(f"duplicate _id {stored['_id']!r} in {collection!r}")
        docs[stored["_id"]] = stored
        return stored["_id"]

    async def find_one(self, collection: str, filter: dict[str, Any]) -> Document | None:
        await _yield()
        for document in self._matching(collection, filter):
            return copy.deepcopy(document)
        return None

    async def find_many(self, collection: str, filter: dict[str, Any]) -> list[Document]:
        await _yield()
        return [copy.deepcopy(d) for d in self._matching(collection, filter)]

    async def update_one(
        self, collection: str, filter: dict[str, Any], update_spec: dict[str, Any]
    ) -> bool:
        await _yield()
        for document in self._matching(collection, filter):
            self._collections[collection][document["_id"]] = updated(document, update_spec)
            return True
        return False

    async def delete_one(self, collection: str, filter: dict[str, Any]) -> bool:
        await _yield()
        for document in self._matching(collection, filter):
            del self._collections[collection][document["_id"]]
            return True
        return False

    async def drop_collection(self, collection: str) -> None:
        """Remove every document of ``collection`` (the certification cleanup uses this)."""
        await asyncio.sleep(0)
        self._collections.pop(collection, None)

    def _matching(self, collection: str, filter: Mapping[str, Any]) -> list[Document]:
        check_filter(filter)
        docs = self._collections.get(collection, {})
        if "_id" in filter:  # index lookup instead of a scan
            found = docs.get(filter["_id"]) if _hashable(filter["_id"]) else None
            return [found] if found is not None and matches(found, filter) else []
        return [d for d in docs.values() if matches(d, filter)]


async def _yield() -> None:
    """Yield once before touching state, so concurrent callers interleave as against a server;
    everything after it runs without another ``await`` and is therefore atomic."""
    await asyncio.sleep(0)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
