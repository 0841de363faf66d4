"""PostgreSQL document database (contract ``document_database``): JSONB rows per collection.

Filters are MongoDB-style: ``{"field": value}`` is JSON equality (``"a.b"`` reaches into nested
documents), and ``$eq``, ``$ne``, ``$gt``, ``$gte``, ``$lt``, ``$lte``, ``$in``, ``$nin``,
``$exists`` are supported; updates support ``$set``, ``$unset`` and ``$inc``. Filters become SQL
(pure ``compile_filter``) so matching happens in the database.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Mapping
from typing import Any

from omnicloud.providers.postgres._base import DEFAULT_URL, PostgresProvider, connect

DDL = (
    "CREATE TABLE IF NOT EXISTS omnicloud_documents (seq bigserial PRIMARY KEY,"
    " collection text NOT NULL, id text NOT NULL, doc jsonb NOT NULL, UNIQUE (collection, id))",
)

_COMPARE = {"$eq": "=", "$ne": "<>", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


class UnsupportedQuery(ValueError):
    """A filter or update uses an operator this provider does not implement."""


def _path(field: str) -> list[str]:
    return field.split(".")


def _condition(field: str, op: str, operand: Any) -> tuple[str, list[Any]]:
    target = "(doc #> %s)"
    if op in _COMPARE:
        sql = f"{target} {_COMPARE[op]} %s::jsonb"
        if op == "$ne":
            sql = f"({target} IS NULL OR {target} <> %s::jsonb)"
            return sql, [_path(field), _path(field), json.dumps(operand)]
        return sql, [_path(field), json.dumps(operand)]
    if op in ("$in", "$nin"):
        values = [json.dumps(v) for v in operand]
        sql = f"{target} = ANY(%s::jsonb[])"
        if op == "$nin":
            sql = f"({target} IS NULL OR NOT {target} = ANY(%s::jsonb[]))"
            return sql, [_path(field), _path(field), values]
        return sql, [_path(field), values]
    if op == "$exists":
        return (f"{target} IS {'NOT ' if operand else ''}NULL", [_path(field)])
    raise UnsupportedQuery(f"unsupported filter operator {op!r} on field {field!r}")


def compile_filter(filter: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """A Mongo-style filter -> (SQL condition, parameters). Pure."""
    parts: list[str] = []
    params: list[Any] = []
    for field, spec in filter.items():
        if isinstance(spec, Mapping) and spec and all(str(k).startswith("$") for k in spec):
            items = list(spec.items())
        else:
            items = [("$eq", spec)]
        for op, operand in items:
            sql, values = _condition(field, op, operand)
            parts.append(sql)
            params.extend(values)
    return (" AND ".join(parts) or "TRUE"), params


def apply_update(document: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """A document with ``$set``/``$unset``/``$inc`` applied (a new dict). Pure."""
    result = copy.deepcopy(document)
    for op, fields in update.items():
        if op not in ("$set", "$unset", "$inc"):
            raise UnsupportedQuery(f"unsupported update operator {op!r}")
        for field, value in fields.items():
            *parents, leaf = _path(field)
            node = result
            for part in parents:
                node = node.setdefault(part, {})
            if op == "$set":
                node[leaf] = value
            elif op == "$unset":
                node.pop(leaf, None)
            else:
                node[leaf] = node.get(leaf, 0) + value
    return result


class PostgresDocumentDatabase(PostgresProvider):
    """Collections of JSON documents keyed by ``_id`` (generated when missing)."""

    async def insert_one(self, collection: str, document: Mapping[str, Any]) -> str:
        doc = dict(document)
        doc.setdefault("_id", uuid.uuid4().hex)
        await self._execute(
            "INSERT INTO omnicloud_documents (collection, id, doc) VALUES (%s, %s, %s::jsonb)",
            (collection, str(doc["_id"]), json.dumps(doc)),
        )
        return str(doc["_id"])

    async def find_one(self, collection: str, filter: Mapping[str, Any]) -> dict[str, Any] | None:
        found = await self._find(collection, filter, limit=1)
        return found[0] if found else None

    async def find_many(self, collection: str, filter: Mapping[str, Any]) -> list[dict[str, Any]]:
        return await self._find(collection, filter)

    async def _find(
        self, collection: str, filter: Mapping[str, Any], limit: int | None = None
    ) -> list[dict[str, Any]]:
        where, params = compile_filter(filter)
        sql = f"SELECT doc FROM omnicloud_documents WHERE collection = %s AND {where} ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [dict(row[0]) for row in await self._fetchall(sql, (collection, *params))]

    async def update_one(
        self, collection: str, filter: Mapping[str, Any], update_spec: Mapping[str, Any]
    ) -> None:
        where, params = compile_filter(filter)
        async with self._lock, self._conn.transaction():
            cur = await self._conn.execute(
                f"SELECT seq, doc FROM omnicloud_documents WHERE collection = %s AND {where}"
                " ORDER BY seq LIMIT 1 FOR UPDATE",
                (collection, *params),
            )
            row = await cur.fetchone()
            if row is None:
                return
            doc = apply_update(dict(row[1]), update_spec)
            doc["_id"] = row[1].get("_id")  # the id is immutable, as in MongoDB
            await self._conn.execute(
                "UPDATE omnicloud_documents SET doc = %s::jsonb WHERE seq = %s",
                (json.dumps(doc), row[0]),
            )

    async def delete_one(self, collection: str, filter: Mapping[str, Any]) -> None:
        where, params = compile_filter(filter)
        await self._execute(
            "DELETE FROM omnicloud_documents WHERE seq = (SELECT seq FROM omnicloud_documents"
            f" WHERE collection = %s AND {where} ORDER BY seq LIMIT 1)",
            (collection, *params),
        )

    async def drop_collection(self, collection: str) -> None:
        """Empty ``collection`` (the contract's ``cleanup``)."""
        await self._execute("DELETE FROM omnicloud_documents WHERE collection = %s", (collection,))


async def create_document_database(
    url: str = DEFAULT_URL, schema: str = "public"
) -> PostgresDocumentDatabase:
    """Factory for ``factory = "omnicloud.providers.postgres:create_document_database"``."""
    return PostgresDocumentDatabase(await connect(url, schema, DDL))
