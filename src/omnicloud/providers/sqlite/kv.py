"""SQLite key-value store, tenant-aware.

    [providers.sqlite-kv]
    contract = "kv_store"
    factory = "omnicloud.providers.sqlite.kv:SQLiteKVStore"
    policies = ["multi_tenancy"]
    options = { path = "file:omnicloud-certify-kv?mode=memory&cache=shared" }

One table keyed by ``(scope, key)``: the scope is ``""`` without a tenant and ``"=" + tenant_id``
with one, so tenant and key are never concatenated and cannot collide. Keys compare with SQLite's
BINARY collation: exact and case-sensitive.
"""

from __future__ import annotations

import sqlite3

from omnicloud.providers.sqlite.database import SQLiteDatabase, transaction

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS omnicloud_kv ("
    " scope TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY (scope, key)) WITHOUT ROWID",
)


def scope_of(tenant_id: str | None) -> str:
    return "" if tenant_id is None else "=" + tenant_id


class SQLiteKVStore:
    """A KV store in the SQLite database at ``path``, scoped to ``tenant_id``.

    ``path``: ``":memory:"`` (private to this instance), a file, or a ``file:`` URI; instances
    opened on the same file or URI in one process share a connection (see ``database``).
    """

    def __init__(self, path: str = ":memory:", tenant_id: str | None = None) -> None:
        if tenant_id is not None and not isinstance(tenant_id, str):
            raise TypeError(f"tenant_id must be a str, got {type(tenant_id).__name__}")
        self._scope = scope_of(tenant_id)
        self._database = SQLiteDatabase.open(path)
        self._closed = False

    async def get(self, key: str) -> str | None:
        await self._ready()

        def read(connection: sqlite3.Connection) -> str | None:
            row = connection.execute(
                "SELECT value FROM omnicloud_kv WHERE scope = ? AND key = ?", (self._scope, key)
            ).fetchone()
            return None if row is None else str(row[0])

        return await self._database.run(read)

    async def set(self, key: str, value: str) -> None:
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("keys and values must be str")
        await self._ready()

        def write(connection: sqlite3.Connection) -> None:
            with transaction(connection):
                connection.execute(
                    "INSERT INTO omnicloud_kv (scope, key, value) VALUES (?, ?, ?)"
                    " ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value",
                    (self._scope, key, value),
                )

        await self._database.run(write)

    async def delete(self, key: str) -> None:
        await self._ready()

        def remove(connection: sqlite3.Connection) -> None:
            with transaction(connection):
                connection.execute(
                    "DELETE FROM omnicloud_kv WHERE scope = ? AND key = ?", (self._scope, key)
                )

        await self._database.run(remove)

    async def close(self) -> None:
        """Release the database connection (the last store on a database closes it)."""
        if not self._closed:
            self._closed = True
            await self._database.release()

    async def _ready(self) -> None:
        if self._closed:
            raise RuntimeError("this SQLiteKVStore is closed")
        await self._database.ensure_schema("kv", SCHEMA)
