"""SQLite transactional outbox storage.

    [providers.sqlite-outbox]
    contract = "transactional_outbox"
    factory = "omnicloud.providers.sqlite.outbox:SQLiteOutbox"
    options = { path = ":memory:" }

Two tables: the events, in insertion order, and one sequence counter per aggregate. A save runs
in one ``BEGIN IMMEDIATE`` transaction that bumps the aggregate's counter and inserts the event,
so sequence ids are gap-free and unique under any concurrency: tasks of one process (they share
the database's single worker thread) and processes sharing the file (SQLite's write lock).
Counters survive processing, so an aggregate's numbers are never reused.

``path`` is ``":memory:"`` (a private, empty store per instance: what the contract's
"empty store per factory call" needs), a file, or a ``file:`` URI shared by the instances of
this process. Point certification at ``:memory:`` or a fresh file.
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from omnicloud.providers.sqlite.database import SQLiteDatabase, transaction
from tck_py.shared.models import OutboxEvent

PENDING = "PENDING"
PROCESSED = "PROCESSED"

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS omnicloud_outbox ("
    " position INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,"
    " aggregate_key TEXT, sequence_id INTEGER, destination_topic TEXT NOT NULL,"
    " payload BLOB NOT NULL, message_key TEXT, status TEXT NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS omnicloud_outbox_sequence"
    " ON omnicloud_outbox (aggregate_key, sequence_id) WHERE aggregate_key IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS omnicloud_outbox_pending"
    " ON omnicloud_outbox (status, aggregate_key)",
    "CREATE TABLE IF NOT EXISTS omnicloud_outbox_sequences ("
    " aggregate_key TEXT PRIMARY KEY, last_id INTEGER NOT NULL) WITHOUT ROWID",
)

COLUMNS = "event_id, aggregate_key, destination_topic, payload, message_key, status, sequence_id"

Record = dict[str, Any]


def _record(row: sqlite3.Row | tuple[Any, ...]) -> Record:
    names = [c.strip() for c in COLUMNS.split(",")]
    record = dict(zip(names, row, strict=True))
    record["payload"] = bytes(record["payload"])
    return record


def _next_sequence(connection: sqlite3.Connection, aggregate_key: str) -> int:
    row = connection.execute(
        "INSERT INTO omnicloud_outbox_sequences (aggregate_key, last_id) VALUES (?, 1)"
        " ON CONFLICT (aggregate_key) DO UPDATE SET last_id = last_id + 1 RETURNING last_id",
        (aggregate_key,),
    ).fetchone()
    return int(row[0])


class SQLiteOutbox:
    """Outbox events in a SQLite database."""

    def __init__(self, path: str = ":memory:") -> None:
        self._database = SQLiteDatabase.open(path)
        self._closed = False

    async def save_event(self, event: OutboxEvent) -> None:
        await self._ready()
        payload = bytes(event.payload)

        def save(connection: sqlite3.Connection) -> None:
            with transaction(connection):
                sequence_id = None
                if event.aggregate_key is not None:
                    sequence_id = _next_sequence(connection, event.aggregate_key)
                connection.execute(
                    f"INSERT INTO omnicloud_outbox ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        str(uuid.uuid4()),
                        event.aggregate_key,
                        event.destination_topic,
                        payload,
                        event.message_key,
                        PENDING,
                        sequence_id,
                    ),
                )

        await self._database.run(save)

    async def get_pending_unordered_events(self, limit: int = 100) -> list[Record]:
        if limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        return await self._select(
            f"SELECT {COLUMNS} FROM omnicloud_outbox WHERE status = ? AND aggregate_key IS NULL"
            " ORDER BY position LIMIT ?",
            (PENDING, limit),
        )

    async def get_pending_events_for_aggregate(self, aggregate_key: str) -> list[Record]:
        return await self._select(
            f"SELECT {COLUMNS} FROM omnicloud_outbox WHERE status = ? AND aggregate_key = ?"
            " ORDER BY sequence_id",
            (PENDING, aggregate_key),
        )

    async def get_pending_aggregate_keys(self) -> list[str]:
        await self._ready()

        def keys(connection: sqlite3.Connection) -> list[str]:
            rows = connection.execute(
                "SELECT DISTINCT aggregate_key FROM omnicloud_outbox"
                " WHERE status = ? AND aggregate_key IS NOT NULL ORDER BY aggregate_key",
                (PENDING,),
            ).fetchall()
            return [str(r[0]) for r in rows]

        return await self._database.run(keys)

    async def mark_as_processed(self, event: Record) -> None:
        await self._ready()
        event_id = event["event_id"]

        def mark(connection: sqlite3.Connection) -> None:
            with transaction(connection):
                connection.execute(
                    "UPDATE omnicloud_outbox SET status = ? WHERE event_id = ?",
                    (PROCESSED, event_id),
                )

        await self._database.run(mark)

    async def close(self) -> None:
        """Release the database connection (the last store on a database closes it)."""
        if not self._closed:
            self._closed = True
            await self._database.release()

    async def _select(self, sql: str, params: tuple[Any, ...]) -> list[Record]:
        await self._ready()

        def select(connection: sqlite3.Connection) -> list[Record]:
            return [_record(row) for row in connection.execute(sql, params).fetchall()]

        return await self._database.run(select)

    async def _ready(self) -> None:
        if self._closed:
            raise RuntimeError("this SQLiteOutbox is closed")
        await self._database.ensure_schema("outbox", SCHEMA)
