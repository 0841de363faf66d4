"""queue_basic, queue_visibility, queue_dead_letter, queue_priority, queue_delayed on one table.

A message row is visible when ``visible_at <= NOW``; consumers claim the head with ``FOR UPDATE
SKIP LOCKED`` (ordered by priority, then id), so concurrent consumers on any number of
connections never take the same message. Delayed messages are rows whose ``visible_at`` lies in
the future; a delivered message is ``inflight`` until acknowledged, released, or its visibility
timeout passes. A message that has used up its deliveries moves to the dead-letter queue in one
statement (``DELETE ... RETURNING`` feeding an ``INSERT``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnicloud.providers.postgres._client import psycopg_module
from omnicloud.providers.postgres.interfaces._core import NOW, StoreCore, positive
from tck_py.interfaces.models import QueueMessage

DDL = (
    "CREATE TABLE IF NOT EXISTS ocs_queue (id bigserial PRIMARY KEY, ns text NOT NULL,"
    " queue text NOT NULL, payload bytea NOT NULL, metadata jsonb NOT NULL,"
    " priority integer NOT NULL, visible_at float8 NOT NULL, state text NOT NULL,"
    " delivery_count integer NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ocs_queue_head ON ocs_queue (ns, queue, priority DESC, id)",
    "CREATE TABLE IF NOT EXISTS ocs_queue_dead_letter (ns text NOT NULL, queue text NOT NULL,"
    " dead_letter_queue text NOT NULL, max_deliveries integer NOT NULL, PRIMARY KEY (ns, queue))",
)

_COLUMNS = "id, payload, metadata, delivery_count"
_HEAD = (
    f"SELECT id FROM ocs_queue WHERE ns = %s AND queue = %s AND visible_at <= {NOW}"
    " ORDER BY priority DESC, id LIMIT 1"
)
_INFLIGHT = f"ns = %s AND queue = %s AND id = %s AND state = 'inflight' AND visible_at > {NOW}"
# Move spent messages (``spent`` selects them in ``m``) to the configured dead-letter queue.
_TO_DEAD_LETTER = (
    "WITH moved AS (DELETE FROM ocs_queue m USING ocs_queue_dead_letter d"
    " WHERE m.ns = %s AND m.queue = %s AND d.ns = m.ns AND d.queue = m.queue"
    " AND m.delivery_count >= d.max_deliveries AND {spent}"
    " RETURNING d.dead_letter_queue AS dlq, m.payload, m.metadata, m.id)"
    " INSERT INTO ocs_queue (ns, queue, payload, metadata, priority, visible_at, state,"
    " delivery_count) SELECT %s, dlq, payload, metadata, 0, {now}, 'ready', 0"
    " FROM moved ORDER BY id"
)
_RECLAIM = _TO_DEAD_LETTER.format(spent=f"m.state = 'inflight' AND m.visible_at <= {NOW}", now=NOW)
_RELEASE_SPENT = _TO_DEAD_LETTER.format(
    spent=f"m.id = %s AND m.state = 'inflight' AND m.visible_at > {NOW}", now=NOW
)


def _message(row: Any) -> QueueMessage:
    return QueueMessage(str(row[0]), bytes(row[1]), dict(row[2]), int(row[3]))


def _id(message_id: str) -> int | None:
    return int(message_id) if message_id.isdigit() else None


class QueueMixin(StoreCore):
    async def _enqueue(
        self,
        queue: str,
        payload: bytes,
        metadata: Mapping[str, str] | None,
        priority: int = 0,
        delay: float = 0.0,
    ) -> str:
        jsonb = psycopg_module().types.json.Jsonb
        row = await self._fetchone(
            "INSERT INTO ocs_queue (ns, queue, payload, metadata, priority, visible_at, state,"
            f" delivery_count) VALUES (%s, %s, %s, %s, %s, {NOW} + %s, 'ready', 0) RETURNING id",
            (self._ns, queue, bytes(payload), jsonb(dict(metadata or {})), priority, delay),
        )
        return str(row[0])

    async def _reclaim(self, queue: str) -> None:
        """Expired deliveries that used up their attempts go to the dead-letter queue."""
        await self._execute(_RECLAIM, (self._ns, queue, self._ns))

    async def queue_enqueue(
        self, queue: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        return await self._enqueue(queue, payload, metadata)

    async def queue_dequeue(self, queue: str) -> QueueMessage | None:
        await self._reclaim(queue)
        row = await self._fetchone(
            f"DELETE FROM ocs_queue WHERE id = ({_HEAD} FOR UPDATE SKIP LOCKED)"
            f" RETURNING id, payload, metadata, delivery_count + 1",
            (self._ns, queue),
        )
        return None if row is None else _message(row)

    async def queue_peek(self, queue: str) -> QueueMessage | None:
        await self._reclaim(queue)
        row = await self._fetchone(
            f"SELECT {_COLUMNS} FROM ocs_queue WHERE id = ({_HEAD})", (self._ns, queue)
        )
        return None if row is None else _message(row)

    # ------------------------------------------------------------------------- visibility
    async def queue_dequeue_with_timeout(
        self, queue: str, visibility_timeout: float
    ) -> QueueMessage | None:
        positive("visibility_timeout", visibility_timeout)
        await self._reclaim(queue)
        row = await self._fetchone(
            f"UPDATE ocs_queue SET state = 'inflight', visible_at = {NOW} + %s,"
            f" delivery_count = delivery_count + 1 WHERE id = ({_HEAD} FOR UPDATE SKIP LOCKED)"
            f" RETURNING {_COLUMNS}",
            (float(visibility_timeout), self._ns, queue),
        )
        return None if row is None else _message(row)

    async def queue_extend_visibility(
        self, queue: str, message_id: str, visibility_timeout: float
    ) -> bool:
        positive("visibility_timeout", visibility_timeout)
        number = _id(message_id)
        return (
            number is not None
            and await self._execute(
                f"UPDATE ocs_queue SET visible_at = {NOW} + %s WHERE {_INFLIGHT}",
                (float(visibility_timeout), self._ns, queue, number),
            )
            == 1
        )

    async def queue_release(self, queue: str, message_id: str) -> bool:
        number = _id(message_id)
        if number is None:
            return False
        async with self._transaction() as conn:
            cur = await conn.execute(_RELEASE_SPENT, (self._ns, queue, number, self._ns))
            if cur.rowcount == 1:
                return True
            cur = await conn.execute(
                f"UPDATE ocs_queue SET state = 'ready', visible_at = {NOW} WHERE {_INFLIGHT}",
                (self._ns, queue, number),
            )
            return bool(cur.rowcount == 1)

    async def queue_ack(self, queue: str, message_id: str) -> bool:
        number = _id(message_id)
        return (
            number is not None
            and await self._execute(
                f"DELETE FROM ocs_queue WHERE {_INFLIGHT}", (self._ns, queue, number)
            )
            == 1
        )

    # ------------------------------------------------------------------------ dead letter
    async def queue_configure_dead_letter(
        self, queue: str, dead_letter_queue: str, max_deliveries: int
    ) -> None:
        if max_deliveries < 1:
            raise ValueError(f"max_deliveries must be at least 1, got {max_deliveries!r}")
        await self._execute(
            "INSERT INTO ocs_queue_dead_letter VALUES (%s, %s, %s, %s) ON CONFLICT (ns, queue)"
            " DO UPDATE SET dead_letter_queue = EXCLUDED.dead_letter_queue,"
            " max_deliveries = EXCLUDED.max_deliveries",
            (self._ns, queue, dead_letter_queue, max_deliveries),
        )

    async def queue_get_dead_letters(self, queue: str) -> list[QueueMessage]:
        await self._reclaim(queue)
        rows = await self._fetchall(
            f"SELECT {_COLUMNS} FROM ocs_queue WHERE ns = %s AND queue = (SELECT"
            " dead_letter_queue FROM ocs_queue_dead_letter WHERE ns = %s AND queue = %s)"
            " ORDER BY id",
            (self._ns, self._ns, queue),
        )
        return [_message(row) for row in rows]

    # --------------------------------------------------------------------------- priority
    async def queue_enqueue_with_priority(
        self,
        queue: str,
        payload: bytes,
        priority: int,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        return await self._enqueue(queue, payload, metadata, priority=int(priority))

    # ---------------------------------------------------------------------------- delayed
    async def queue_enqueue_delayed(
        self,
        queue: str,
        payload: bytes,
        delay: float,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        if not delay >= 0:
            raise ValueError(f"delay must be >= 0, got {delay!r}")
        return await self._enqueue(queue, payload, metadata, delay=float(delay))

    async def queue_scheduled_count(self, queue: str) -> int:
        row = await self._fetchone(
            "SELECT count(*) FROM ocs_queue WHERE ns = %s AND queue = %s AND state = 'ready'"
            f" AND visible_at > {NOW}",
            (self._ns, queue),
        )
        return int(row[0])
