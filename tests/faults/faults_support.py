"""Broken providers the fault invariants must catch (importable as ``faults_support``)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from omnicloud.providers.postgres import PostgresOutboxStorage
from omnicloud.providers.postgres._base import DEFAULT_URL, connect
from omnicloud.providers.postgres.outbox import DDL
from omnicloud.providers.redis import create_lock_manager
from tck_py.shared.models import OutboxEvent


class _GreedyLock:
    """Always reports the lock as obtained: two owners hold it at once."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def acquire(self) -> bool:
        await self._inner.acquire()
        return True

    async def release(self) -> None:
        await self._inner.release()


class GreedyLockManager:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def get_lock(self, lock_name: str, ttl: float) -> _GreedyLock:
        return _GreedyLock(self._inner.get_lock(lock_name, ttl))

    async def aclose(self) -> None:
        await self._inner.aclose()


async def create_greedy_lock_manager(**options: Any) -> GreedyLockManager:
    return GreedyLockManager(await create_lock_manager(**options))


class SequenceOutbox(PostgresOutboxStorage):
    """Numbers each aggregate's events from a PostgreSQL SEQUENCE taken before the event's
    transaction, a classic outbox bug: ``nextval`` is never rolled back, so a save cut short
    after it (a reset connection) burns its number, and a crash recovers a sequence up to 32
    values ahead of the last one handed out. Without faults the numbers are consecutive."""

    _created: frozenset[str] = frozenset()

    def _sequence(self, aggregate: str) -> str:
        digest = hashlib.sha256(f"{self._store}/{aggregate}".encode()).hexdigest()[:24]
        return f"omnicloud_outbox_seq_{digest}"

    async def _next(self, name: str) -> int:
        if name not in self._created:
            async with self._conn.transaction():  # writers sharing an aggregate create it once
                await self._conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))
                await self._conn.execute(f"CREATE SEQUENCE IF NOT EXISTS {name}")
            self._created = self._created | {name}
        cur = await self._conn.execute(f"SELECT nextval('{name}')")
        (number,) = await cur.fetchone()
        return int(number)

    async def save_event(self, event: OutboxEvent) -> None:
        if event.aggregate_key is None:
            await super().save_event(event)
            return
        async with self._lock:
            number = await self._next(self._sequence(event.aggregate_key))
            async with self._conn.transaction():
                await self._conn.execute(
                    "INSERT INTO omnicloud_outbox (store, destination_topic, payload,"
                    " message_key, aggregate_key, sequence_id) VALUES (%s, %s, %s, %s, %s, %s)",
                    (
                        self._store,
                        event.destination_topic,
                        event.payload,
                        event.message_key,
                        event.aggregate_key,
                        number,
                    ),
                )


async def create_sequence_outbox(
    url: str = DEFAULT_URL, schema: str = "public", store: str | None = None
) -> SequenceOutbox:
    return SequenceOutbox(await connect(url, schema, DDL), store or uuid.uuid4().hex)
