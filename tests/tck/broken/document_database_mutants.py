"""Deliberately broken document databases: each has one realistic bug the contract forbids."""

from __future__ import annotations

import asyncio
import copy
import uuid
from typing import Any

from omnicloud.providers.memory.document import same_value


class CorrectDocumentDatabase:
    """Control: correct (deep copies in and out, equality filters, ``$set``)."""

    def __init__(self) -> None:
        self.data: dict[str, dict[Any, dict[str, Any]]] = {}

    def matches(self, doc: dict[str, Any], flt: dict[str, Any]) -> bool:
        return all(k in doc and same_value(doc[k], v) for k, v in flt.items())

    def matching(self, collection: str, flt: dict[str, Any]) -> list[dict[str, Any]]:
        return [d for d in self.data.get(collection, {}).values() if self.matches(d, flt)]

    def copy_out(self, doc: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(doc)

    def copy_in(self, doc: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(doc)

    def apply(self, doc: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
        return {**doc, **copy.deepcopy(spec["$set"])}

    async def insert_one(self, collection: str, document: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        document.setdefault("_id", str(uuid.uuid4()))
        self.data.setdefault(collection, {})[document["_id"]] = self.copy_in(document)

    async def find_one(self, collection: str, flt: dict[str, Any]) -> Any:
        await asyncio.sleep(0)
        found = self.matching(collection, flt)
        return self.copy_out(found[0]) if found else None

    async def find_many(self, collection: str, flt: dict[str, Any]) -> Any:
        await asyncio.sleep(0)
        return [self.copy_out(d) for d in self.matching(collection, flt)]

    async def update_one(self, collection: str, flt: dict[str, Any], spec: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        for doc in self.matching(collection, flt)[:1]:
            self.data[collection][doc["_id"]] = self.apply(doc, spec)

    async def delete_one(self, collection: str, flt: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        for doc in self.matching(collection, flt)[:1]:
            del self.data[collection][doc["_id"]]

    async def drop_collection(self, collection: str) -> None:
        self.data.pop(collection, None)


class MatchesByPrefix(CorrectDocumentDatabase):
    """string filters match values that start with them (a regex/LIKE translation)."""

    def matches(self, doc: dict[str, Any], flt: dict[str, Any]) -> bool:
        return all(k in doc and str(doc[k]).startswith(str(v)) for k, v in flt.items())


class ComparesAsStrings(CorrectDocumentDatabase):
    """values are compared by their string form, so 1 equals "1"."""

    def matches(self, doc: dict[str, Any], flt: dict[str, Any]) -> bool:
        return all(k in doc and str(doc[k]) == str(v) for k, v in flt.items())


class OnlyFirstFilterField(CorrectDocumentDatabase):
    """only the first field of a filter is applied."""

    def matches(self, doc: dict[str, Any], flt: dict[str, Any]) -> bool:
        return super().matches(doc, dict(list(flt.items())[:1]))


class EmptyFilterMatchesNothing(CorrectDocumentDatabase):
    """an empty filter matches no document."""

    def matches(self, doc: dict[str, Any], flt: dict[str, Any]) -> bool:
        return bool(flt) and super().matches(doc, flt)


class SetReplacesTheDocument(CorrectDocumentDatabase):
    """$set replaces the whole document with the set fields."""

    def apply(self, doc: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
        return {"_id": doc["_id"], **copy.deepcopy(spec["$set"])}


class UpdateOneUpdatesAll(CorrectDocumentDatabase):
    """update_one updates every matching document."""

    async def update_one(self, collection: str, flt: dict[str, Any], spec: dict[str, Any]) -> None:
        for doc in self.matching(collection, flt):
            self.data[collection][doc["_id"]] = self.apply(doc, spec)


class DeleteOneDeletesAll(CorrectDocumentDatabase):
    """delete_one deletes every matching document."""

    async def delete_one(self, collection: str, flt: dict[str, Any]) -> None:
        for doc in self.matching(collection, flt):
            del self.data[collection][doc["_id"]]


class UpdateUpserts(CorrectDocumentDatabase):
    """update_one inserts a document when nothing matches."""

    async def update_one(self, collection: str, flt: dict[str, Any], spec: dict[str, Any]) -> None:
        if not self.matching(collection, flt):
            await self.insert_one(collection, {**flt, **spec["$set"]})
        else:
            await super().update_one(collection, flt, spec)


class ShallowCopies(CorrectDocumentDatabase):
    """documents are copied shallowly, so nested lists and dicts are shared."""

    def copy_out(self, doc: dict[str, Any]) -> dict[str, Any]:
        return dict(doc)

    def copy_in(self, doc: dict[str, Any]) -> dict[str, Any]:
        return dict(doc)


class ReturnsStoredDocuments(CorrectDocumentDatabase):
    """find_one/find_many return the stored dicts themselves."""

    def copy_out(self, doc: dict[str, Any]) -> dict[str, Any]:
        return doc


class StoresTheCallersDict(CorrectDocumentDatabase):
    """insert_one stores the caller's dict itself."""

    def copy_in(self, doc: dict[str, Any]) -> dict[str, Any]:
        return doc


class LostUpdatesUnderConcurrency(CorrectDocumentDatabase):
    """update_one reads the document, awaits I/O, then writes the whole document back."""

    async def update_one(self, collection: str, flt: dict[str, Any], spec: dict[str, Any]) -> None:
        found = [copy.deepcopy(d) for d in self.matching(collection, flt)[:1]]
        await asyncio.sleep(0)
        for doc in found:
            self.data[collection][doc["_id"]] = self.apply(doc, spec)


class CollectionsMatchedByPrefix(CorrectDocumentDatabase):
    """a collection name also reads the collections whose names start with it."""

    def matching(self, collection: str, flt: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            d
            for name, docs in self.data.items()
            if name.startswith(collection)
            for d in docs.values()
            if self.matches(d, flt)
        ]


class FindManyReturnsATuple(CorrectDocumentDatabase):
    """find_many returns a tuple (a cursor materialized the wrong way)."""

    async def find_many(self, collection: str, flt: dict[str, Any]) -> Any:
        return tuple(await super().find_many(collection, flt))


class RequiresAnId(CorrectDocumentDatabase):
    """insert_one fails on a document without "_id" instead of generating one."""

    async def insert_one(self, collection: str, document: dict[str, Any]) -> None:
        self.data.setdefault(collection, {})[document["_id"]] = self.copy_in(document)
