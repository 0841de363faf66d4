"""SQLite document database: JSON documents in one table.

    [providers.sqlite-docs]
    contract = "document_database"
    factory = "omnicloud.providers.sqlite.document:SQLiteDocumentDatabase"
    options = { path = "file:omnicloud-certify-docs?mode=memory&cache=shared" }

Same query subset as the in-memory database (``omnicloud.providers.memory.document``): top-level
field equality and ``$set``. Documents are stored as JSON text, so values must be JSON types
(str, int, float, bool, None, lists and dicts with str keys). ``_id`` lookups use the
``(collection, doc_id)`` index; other filters scan the collection. Each method runs as one
``BEGIN IMMEDIATE`` transaction on the database's worker thread, so ``update_one`` is an atomic
read-modify-write.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from omnicloud.providers.memory.document import (
    Document,
    DuplicateDocumentError,
    check_filter,
    matches,
    prepared,
    updated,
)
from omnicloud.providers.sqlite.database import SQLiteDatabase, transaction

T = TypeVar("T")

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS omnicloud_documents ("
    " collection TEXT NOT NULL, doc_id TEXT NOT NULL, body TEXT NOT NULL,"
    " UNIQUE (collection, doc_id))",
)


def _id_text(doc_id: Any) -> str:
    return json.dumps(doc_id, sort_keys=True)


def _dumps(document: Document) -> str:
    try:
        return json.dumps(document, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"document is not storable as JSON: {exc}") from None


def _candidates(
    connection: sqlite3.Connection, collection: str, filter: Mapping[str, Any]
) -> Iterator[tuple[int, Document]]:
    """(rowid, document) of every document of ``collection`` matching ``filter``, in order."""
    check_filter(filter)
    if "_id" in filter:
        rows = connection.execute(
            "SELECT rowid, body FROM omnicloud_documents WHERE collection = ? AND doc_id = ?",
            (collection, _id_text(filter["_id"])),
        ).fetchall()
    else:
        rows = connection.execute(
            "SELECT rowid, body FROM omnicloud_documents WHERE collection = ? ORDER BY rowid",
            (collection,),
        ).fetchall()
    for rowid, body in rows:
        document = json.loads(body)
        if matches(document, filter):
            yield rowid, document


class SQLiteDocumentDatabase:
    """Collections of JSON documents in the SQLite database at ``path`` (see ``database``)."""

    def __init__(self, path: str = ":memory:") -> None:
        self._database = SQLiteDatabase.open(path)
        self._closed = False

    async def insert_one(self, collection: str, document: dict[str, Any]) -> Any:
        stored = prepared(document)
        body = _dumps(stored)
        if isinstance(document, dict):
            document.setdefault("_id", stored["_id"])

        def insert(connection: sqlite3.Connection) -> None:
            try:
                with transaction(connection):
                    connection.execute(
                        "INSERT INTO omnicloud_documents (collection, doc_id, body)"
                        " VALUES (?, ?, ?)",
                        (collection, _id_text(stored["_id"]), body),
                    )
            except sqlite3.IntegrityError:
                raise DuplicateDocumentError(
                    f"duplicate _id {stored['_id']!r} in {collection!r}"
                ) from None

        await self._run(insert)
        return stored["_id"]

    async def find_one(self, collection: str, filter: dict[str, Any]) -> Document | None:
        def find(connection: sqlite3.Connection) -> Document | None:
            return next((doc for _, doc in _candidates(connection, collection, filter)), None)

        return await self._run(find)

    async def find_many(self, collection: str, filter: dict[str, Any]) -> list[Document]:
        return await self._run(
            lambda connection: [doc for _, doc in _candidates(connection, collection, filter)]
        )

    async def update_one(
        self, collection: str, filter: dict[str, Any], update_spec: dict[str, Any]
    ) -> bool:
        def update(connection: sqlite3.Connection) -> bool:
            with transaction(connection):
                for rowid, document in _candidates(connection, collection, filter):
                    body = _dumps(updated(document, update_spec))
                    connection.execute(
                        "UPDATE omnicloud_documents SET body = ? WHERE rowid = ?", (body, rowid)
                    )
                    return True
            return False

        return await self._run(update)

    async def delete_one(self, collection: str, filter: dict[str, Any]) -> bool:
        def delete(connection: sqlite3.Connection) -> bool:
            with transaction(connection):
                for rowid, _ in _candidates(connection, collection, filter):
                    connection.execute("DELETE FROM omnicloud_documents WHERE rowid = ?", (rowid,))
                    return True
            return False

        return await self._run(delete)

    async def drop_collection(self, collection: str) -> None:
        """Remove every document of ``collection`` (the certification cleanup uses this)."""

        def drop(connection: sqlite3.Connection) -> None:
            with transaction(connection):
                connection.execute(
                    "DELETE FROM omnicloud_documents WHERE collection = ?", (collection,)
                )

        await self._run(drop)

    async def close(self) -> None:
        """Release the database connection (the last user of a database closes it)."""
        if not self._closed:
            self._closed = True
            await self._database.release()

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise RuntimeError("this SQLiteDocumentDatabase is closed")
        await self._database.ensure_schema("documents", SCHEMA)
        return await self._database.run(work)
