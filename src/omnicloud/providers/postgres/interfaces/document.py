"""document_basic, document_query, document_indexing: JSON documents in one ``jsonb`` table.

Filters, sorts and pipelines run in the database (``document_sql``). A secondary index is a
real PostgreSQL expression index over the document's fields, partial to this namespace and
collection; a unique one refuses duplicates itself (documents missing a field are not indexed,
so they never collide). The catalog of indexes (names, fields) is a table of its own.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from omnicloud.providers.postgres._client import psycopg_module
from omnicloud.providers.postgres.interfaces._core import StoreCore, errors
from omnicloud.providers.postgres.interfaces.document_sql import (
    compile_filter,
    compile_pipeline,
    compile_sort,
    field,
    literal,
)
from tck_py.interfaces.errors import DuplicateKeyError
from tck_py.interfaces.models import IndexInfo

DDL = (
    "CREATE TABLE IF NOT EXISTS ocs_docs (seq bigserial, ns text NOT NULL,"
    " collection text NOT NULL, id text NOT NULL, doc jsonb NOT NULL,"
    " PRIMARY KEY (ns, collection, id))",
    "CREATE TABLE IF NOT EXISTS ocs_doc_indexes (ns text NOT NULL, collection text NOT NULL,"
    " name text NOT NULL, fields text[] NOT NULL, is_unique boolean NOT NULL,"
    " pg_name text NOT NULL, PRIMARY KEY (ns, collection, name))",
)


def index_name(fields: Sequence[str]) -> str:
    return "_".join(f"{f}_1" for f in fields)


def index_ddl(pg_name: str, ns: str, collection: str, fields: Sequence[str], unique: bool) -> str:
    """The ``CREATE INDEX`` for one document index. Pure."""
    keys = ", ".join(field(f) for f in fields)
    scope = f"ns = {literal(ns)} AND collection = {literal(collection)}"
    present = " AND ".join(f"{field(f)} IS NOT NULL" for f in fields)
    return (
        f"CREATE {'UNIQUE ' if unique else ''}INDEX {pg_name} ON ocs_docs ({keys})"
        f" WHERE {scope} AND {present}"
    )


class DocumentMixin(StoreCore):
    def _scope(self, collection: str) -> str:
        return f"ns = {literal(self._ns)} AND collection = {literal(collection)}"

    async def doc_insert(self, collection: str, document: Mapping[str, Any]) -> str:
        doc = dict(document)
        doc_id = str(doc.setdefault("_id", uuid.uuid4().hex))
        doc["_id"] = doc_id
        jsonb = psycopg_module().types.json.Jsonb
        try:
            await self._execute(
                "INSERT INTO ocs_docs (ns, collection, id, doc) VALUES (%s, %s, %s, %s)",
                (self._ns, collection, doc_id, jsonb(doc)),
            )
        except errors().UniqueViolation as error:
            raise DuplicateKeyError(f"{collection!r}: {error.diag.message_detail}") from None
        return doc_id

    async def doc_get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        row = await self._fetchone(
            "SELECT doc FROM ocs_docs WHERE ns = %s AND collection = %s AND id = %s",
            (self._ns, collection, doc_id),
        )
        return None if row is None else dict(row[0])

    async def doc_update(self, collection: str, doc_id: str, changes: Mapping[str, Any]) -> bool:
        if "_id" in changes and changes["_id"] != doc_id:
            raise ValueError("'_id' cannot be changed")
        jsonb = psycopg_module().types.json.Jsonb
        try:
            updated = await self._execute(
                "UPDATE ocs_docs SET doc = doc || %s WHERE ns = %s AND collection = %s AND id = %s",
                (jsonb(dict(changes)), self._ns, collection, doc_id),
            )
        except errors().UniqueViolation as error:
            raise DuplicateKeyError(f"{collection!r}: {error.diag.message_detail}") from None
        return updated == 1

    async def doc_delete(self, collection: str, doc_id: str) -> bool:
        deleted = await self._execute(
            "DELETE FROM ocs_docs WHERE ns = %s AND collection = %s AND id = %s",
            (self._ns, collection, doc_id),
        )
        return deleted == 1

    # ------------------------------------------------------------------------------ query
    async def doc_find(
        self,
        collection: str,
        filter: Mapping[str, Any],
        limit: int | None = None,
        sort: Sequence[tuple[str, int]] | None = None,
    ) -> list[dict[str, Any]]:
        order = compile_sort(sort or ())
        sql = (
            f"SELECT doc FROM ocs_docs WHERE {self._scope(collection)}"
            f" AND {compile_filter(filter)} ORDER BY {order} LIMIT %s"
        )
        return [dict(row[0]) for row in await self._fetchall(sql, (limit,))]

    async def doc_find_one(
        self, collection: str, filter: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        found = await self.doc_find(collection, filter, limit=1)
        return found[0] if found else None

    async def doc_aggregate(
        self, collection: str, pipeline: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        source = f"SELECT seq, doc FROM ocs_docs WHERE {self._scope(collection)}"
        rows = await self._fetchall(compile_pipeline(pipeline, source))
        return [dict(row[0]) for row in rows]

    # --------------------------------------------------------------------------- indexing
    def _pg_name(self, collection: str, name: str) -> str:
        digest = hashlib.sha256(f"{self._ns}\0{collection}\0{name}".encode()).hexdigest()
        return f"ocs_doc_ix_{digest[:40]}"

    async def doc_create_index(
        self, collection: str, fields: Sequence[str], unique: bool = False
    ) -> str:
        if not fields or isinstance(fields, str):
            raise ValueError("fields must be a non-empty sequence of field names")
        name = index_name(fields)
        pg_name = self._pg_name(collection, name)
        try:
            async with self._transaction() as conn:
                cur = await conn.execute(
                    "INSERT INTO ocs_doc_indexes VALUES (%s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (self._ns, collection, name, list(fields), unique, pg_name),
                )
                if cur.rowcount == 1:
                    await conn.execute(index_ddl(pg_name, self._ns, collection, fields, unique))
        except errors().UniqueViolation as error:
            raise DuplicateKeyError(
                f"unique index {name!r} on {collection!r}: {error.diag.message_detail}"
            ) from None
        existing = await self._fetchone(
            "SELECT is_unique FROM ocs_doc_indexes WHERE ns = %s AND collection = %s AND name = %s",
            (self._ns, collection, name),
        )
        if existing[0] != unique:
            raise ValueError(f"index {name!r} exists with unique={existing[0]}")
        return name

    async def doc_drop_index(self, collection: str, name: str) -> bool:
        async with self._transaction() as conn:
            cur = await conn.execute(
                "DELETE FROM ocs_doc_indexes WHERE ns = %s AND collection = %s AND name = %s"
                " RETURNING pg_name",
                (self._ns, collection, name),
            )
            row = await cur.fetchone()
            if row is not None:
                await conn.execute(f"DROP INDEX IF EXISTS {row[0]}")
            return row is not None

    async def doc_list_indexes(self, collection: str) -> list[IndexInfo]:
        rows = await self._fetchall(
            "SELECT name, fields, is_unique FROM ocs_doc_indexes WHERE ns = %s"
            ' AND collection = %s ORDER BY name COLLATE "C"',
            (self._ns, collection),
        )
        return [IndexInfo(name, tuple(fields), bool(unique)) for name, fields, unique in rows]

    async def _drop_document_indexes(self) -> None:
        """Drop this namespace's indexes: each one costs every writer of the shared table."""
        rows = await self._fetchall(
            "DELETE FROM ocs_doc_indexes WHERE ns = %s RETURNING pg_name", (self._ns,)
        )
        for (pg_name,) in rows:
            await self._execute(f"DROP INDEX IF EXISTS {pg_name}")
