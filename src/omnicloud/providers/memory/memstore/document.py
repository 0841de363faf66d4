"""MemStore's document family (doc_: Mongo-style filters, indexes, aggregation pipelines)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from omnicloud.providers.memory.document import same_value
from omnicloud.providers.memory.memstore.common import tick
from tck_py.interfaces.errors import DuplicateKeyError
from tck_py.interfaces.models import IndexInfo

_MISSING = object()
# Equality is JSON equality (same_value): exact lists and objects, and True is not 1.
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": lambda a, b: a is not _MISSING and a > b,
    "$gte": lambda a, b: a is not _MISSING and a >= b,
    "$lt": lambda a, b: a is not _MISSING and a < b,
    "$lte": lambda a, b: a is not _MISSING and a <= b,
    "$ne": lambda a, b: a is _MISSING or not same_value(a, b),
    "$in": lambda a, b: a is not _MISSING and any(same_value(a, item) for item in b),
}


def _path(document: Mapping[str, Any], dotted: str) -> Any:
    value: Any = document
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _test(value: Any, condition: Any) -> bool:
    if isinstance(condition, Mapping) and condition and all(k.startswith("$") for k in condition):
        for op, operand in condition.items():
            if op not in _OPERATORS:
                raise ValueError(f"unsupported operator {op!r} (accepted: {sorted(_OPERATORS)})")
            try:
                if not _OPERATORS[op](value, operand):
                    return False
            except TypeError:
                return False
        return True
    return value is not _MISSING and same_value(value, condition)


def matches(document: Mapping[str, Any], filter: Mapping[str, Any]) -> bool:
    """Whether ``document`` satisfies a Mongo-style ``filter`` (the document_query subset)."""
    return all(_test(_path(document, key), cond) for key, cond in filter.items())


def _sort(docs: list[dict[str, Any]], sort: Sequence[tuple[str, int]]) -> list[dict[str, Any]]:
    for key, direction in reversed(list(sort)):
        present = [d for d in docs if _path(d, key) is not _MISSING]
        missing = [d for d in docs if _path(d, key) is _MISSING]
        present.sort(key=lambda d: _path(d, key), reverse=direction < 0)
        docs = missing + present if direction >= 0 else present + missing
    return docs


def _group(docs: list[dict[str, Any]], spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    def field_of(doc: dict[str, Any], expr: Any) -> Any:
        if isinstance(expr, str) and expr.startswith("$"):
            value = _path(doc, expr[1:])
            return None if value is _MISSING else value
        return expr

    groups: dict[Any, list[dict[str, Any]]] = {}
    for doc in docs:
        key = field_of(doc, spec.get("_id"))
        groups.setdefault(repr(key), []).append(doc)
    out = []
    for members in groups.values():
        row: dict[str, Any] = {"_id": field_of(members[0], spec.get("_id"))}
        for name, accumulator in spec.items():
            if name == "_id":
                continue
            ((op, expr),) = accumulator.items()
            values = [field_of(d, expr) for d in members]
            values = [v for v in values if v is not None]
            if op == "$sum":
                row[name] = sum(values)
            elif op == "$avg":
                row[name] = sum(values) / len(values) if values else None
            elif op in ("$min", "$max"):
                row[name] = (min if op == "$min" else max)(values) if values else None
            else:
                raise ValueError(f"unsupported accumulator {op!r}")
        out.append(row)
    return out


def _pipeline(
    docs: list[dict[str, Any]], stages: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    for stage in stages:
        ((name, arg),) = stage.items()
        if name == "$match":
            docs = [d for d in docs if matches(d, arg)]
        elif name == "$group":
            docs = _group(docs, arg)
        elif name == "$sort":
            docs = _sort(docs, list(arg.items()))
        elif name == "$limit":
            docs = docs[: int(arg)]
        else:
            raise ValueError(f"unsupported stage {name!r} (accepted: $match $group $sort $limit)")
    return docs


class DocumentFamily:
    _docs: dict[str, dict[str, dict[str, Any]]]
    _indexes: dict[str, dict[str, IndexInfo]]

    def _init_document(self) -> None:
        self._docs, self._indexes = {}, {}

    def _collection(self, name: str) -> dict[str, dict[str, Any]]:
        return self._docs.setdefault(name, {})

    def _check_unique(self, collection: str, candidate: Mapping[str, Any], doc_id: str) -> None:
        for index in self._indexes.get(collection, {}).values():
            if not index.unique:
                continue
            key = [_path(candidate, f) for f in index.fields]
            if _MISSING in key:
                continue
            for other_id, other in self._collection(collection).items():
                if other_id != doc_id and [_path(other, f) for f in index.fields] == key:
                    shown = dict(zip(index.fields, key, strict=True))
                    raise DuplicateKeyError(f"unique index {index.name!r} already has {shown}")

    async def doc_insert(self, collection: str, document: Mapping[str, Any]) -> str:
        await tick()
        doc = copy.deepcopy(dict(document))
        doc_id = str(doc.setdefault("_id", uuid.uuid4().hex))
        doc["_id"] = doc_id
        docs = self._collection(collection)
        if doc_id in docs:
            raise DuplicateKeyError(f"document {doc_id!r} already exists in {collection!r}")
        self._check_unique(collection, doc, doc_id)
        docs[doc_id] = doc
        return doc_id

    async def doc_get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        await tick()
        doc = self._collection(collection).get(doc_id)
        return None if doc is None else copy.deepcopy(doc)

    async def doc_update(self, collection: str, doc_id: str, changes: Mapping[str, Any]) -> bool:
        if "_id" in changes and changes["_id"] != doc_id:
            raise ValueError("'_id' cannot be changed")
        await tick()
        docs = self._collection(collection)
        if doc_id not in docs:
            return False
        updated = {**docs[doc_id], **copy.deepcopy(dict(changes))}
        self._check_unique(collection, updated, doc_id)
        docs[doc_id] = updated
        return True

    async def doc_delete(self, collection: str, doc_id: str) -> bool:
        await tick()
        return self._collection(collection).pop(doc_id, None) is not None

    async def doc_find(
        self,
        collection: str,
        filter: Mapping[str, Any],
        limit: int | None = None,
        sort: Sequence[tuple[str, int]] | None = None,
    ) -> list[dict[str, Any]]:
        await tick()
        docs = [d for d in self._collection(collection).values() if matches(d, filter)]
        if sort:
            docs = _sort(docs, sort)
        return copy.deepcopy(docs if limit is None else docs[:limit])

    async def doc_find_one(
        self, collection: str, filter: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        found = await self.doc_find(collection, filter, limit=1)
        return found[0] if found else None

    async def doc_aggregate(
        self, collection: str, pipeline: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        await tick()
        return copy.deepcopy(_pipeline(list(self._collection(collection).values()), pipeline))

    async def doc_create_index(
        self, collection: str, fields: Sequence[str], unique: bool = False
    ) -> str:
        if not fields or isinstance(fields, str):
            raise ValueError("fields must be a non-empty sequence of field names")
        await tick()
        name = "_".join(f"{f}_1" for f in fields)
        indexes = self._indexes.setdefault(collection, {})
        existing = indexes.get(name)
        if existing is not None:
            if existing.unique != unique:
                raise ValueError(f"index {name!r} exists with unique={existing.unique}")
            return name
        index = IndexInfo(name, tuple(fields), unique)
        indexes[name] = index
        try:
            for doc_id, doc in self._collection(collection).items():
                self._check_unique(collection, doc, doc_id)
        except DuplicateKeyError:
            del indexes[name]
            raise
        return name

    async def doc_drop_index(self, collection: str, name: str) -> bool:
        await tick()
        return self._indexes.get(collection, {}).pop(name, None) is not None

    async def doc_list_indexes(self, collection: str) -> list[IndexInfo]:
        await tick()
        return sorted(self._indexes.get(collection, {}).values(), key=lambda i: i.name)
