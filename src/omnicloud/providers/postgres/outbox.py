"""PostgreSQL transactional outbox storage (contract ``transactional_outbox``).

Every provider instance is its own store (a random ``store`` id unless one is given), so each
factory call starts empty as the contract requires, while all stores share two tables. Sequence
ids per aggregate come from an upserted counter: atomic under concurrent writers.
"""

from __future__ import annotations

import uuid
from typing import Any

from omnicloud.providers.postgres._base import DEFAULT_URL, PostgresProvider, connect
from tck_py.shared.models import OutboxEvent

DDL = (
    "CREATE TABLE IF NOT EXISTS omnicloud_outbox (event_id bigserial PRIMARY KEY,"
    " store text NOT NULL, destination_topic text NOT NULL, payload bytea NOT NULL,"
    " message_key text, aggregate_key text, sequence_id bigint,"
    " status text NOT NULL DEFAULT 'PENDING')",
    "CREATE INDEX IF NOT EXISTS omnicloud_outbox_pending ON omnicloud_outbox"
    " (store, aggregate_key, sequence_id) WHERE status = 'PENDING'",
    "CREATE TABLE IF NOT EXISTS omnicloud_outbox_sequences (store text NOT NULL,"
    " aggregate_key text NOT NULL, last bigint NOT NULL, PRIMARY KEY (store, aggregate_key))",
)

_COLUMNS = (
    "event_id",
    "destination_topic",
    "payload",
    "message_key",
    "aggregate_key",
    "sequence_id",
    "status",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM omnicloud_outbox"


def _record(row: Any) -> dict[str, Any]:
    record = dict(zip(_COLUMNS, row, strict=True))
    record["payload"] = bytes(record["payload"])
    return record


class PostgresOutboxStorage(PostgresProvider):
    """Pending events as rows; records are dicts (``record["payload"]``, ``["sequence_id"]``)."""

    def __init__(self, conn: Any, store: str) -> None:
        super().__init__(conn)
        self._store = store

    async def save_event(self, event: OutboxEvent) -> None:
        async with self._lock, self._conn.transaction():
            sequence = None
            if event.aggregate_key is not None:
                cur = await self._conn.execute(
                    "INSERT INTO omnicloud_outbox_sequences VALUES (%s, %s, 1)"
                    " ON CONFLICT (store, aggregate_key) DO UPDATE"
                    " SET last = omnicloud_outbox_sequences.last + 1 RETURNING last",
                    (self._store, event.aggregate_key),
                )
                sequence = (await cur.fetchone())[0]
            await self._conn.execute(
                "INSERT INTO omnicloud_outbox (store, destination_topic, payload, message_key,"
                " aggregate_key, sequence_id) VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    self._store,
                    event.destination_topic,
                    event.payload,
                    event.message_key,
                    event.aggregate_key,
                    sequence,
                ),
            )

    async def get_pending_unordered_events(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = await self._fetchall(
            f"{_SELECT} WHERE store = %s AND status = 'PENDING' AND aggregate_key IS NULL"
            " ORDER BY event_id LIMIT %s",
            (self._store, limit),
        )
        return [_record(row) for row in rows]

    async def get_pending_events_for_aggregate(self, aggregate_key: str) -> list[dict[str, Any]]:
        rows = await self._fetchall(
            f"{_SELECT} WHERE store = %s AND status = 'PENDING' AND aggregate_key = %s"
            " ORDER BY sequence_id",
            (self._store, aggregate_key),
        )
        return [_record(row) for row in rows]

    async def get_pending_aggregate_keys(self) -> list[str]:
        rows = await self._fetchall(
            "SELECT DISTINCT aggregate_key FROM omnicloud_outbox WHERE store = %s"
            " AND status = 'PENDING' AND aggregate_key IS NOT NULL ORDER BY aggregate_key",
            (self._store,),
        )
        return [row[0] for row in rows]

    async def mark_as_processed(self, event: Any) -> None:
        await self._execute(
            "UPDATE omnicloud_outbox SET status = 'PROCESSED' WHERE store = %s AND event_id = %s",
            (self._store, event["event_id"]),
        )

    async def clear(self) -> None:
        """Remove this store's rows (other stores sharing the tables are untouched)."""
        await self._execute("DELETE FROM omnicloud_outbox WHERE store = %s", (self._store,))
        await self._execute(
            "DELETE FROM omnicloud_outbox_sequences WHERE store = %s", (self._store,)
        )


async def create_outbox_storage(
    url: str = DEFAULT_URL, schema: str = "public", store: str | None = None
) -> PostgresOutboxStorage:
    """Factory for ``factory = "omnicloud.providers.postgres:create_outbox_storage"``."""
    return PostgresOutboxStorage(await connect(url, schema, DDL), store or uuid.uuid4().hex)
