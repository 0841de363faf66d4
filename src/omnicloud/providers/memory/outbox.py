"""In-memory transactional outbox storage.

    [providers.memory-outbox]
    contract = "transactional_outbox"
    factory = "omnicloud.providers.memory.outbox:InMemoryOutbox"

``InMemoryOutbox()`` starts empty and private; instances created with the same ``namespace=``
share one process-wide store (an application writing events and a relay publishing them).
Records are plain dicts (``event_id``, ``aggregate_key``, ``destination_topic``, ``payload``,
``message_key``, ``status``, ``sequence_id``); every read returns copies. Per-aggregate sequence
ids start at 1 and are never reused, also after events are processed. Each method yields to the
event loop once, then runs without awaiting, so concurrent saves interleave but can never
interleave *inside* a save (no lost or duplicated sequence ids).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from omnicloud.providers.memory import SharedStores
from tck_py.shared.models import OutboxEvent

PENDING = "PENDING"
PROCESSED = "PROCESSED"

Record = dict[str, Any]


class _OutboxState:
    def __init__(self) -> None:
        self.records: dict[str, Record] = {}
        self.last_sequence: dict[str, int] = {}


_STORES: SharedStores[_OutboxState] = SharedStores(_OutboxState)


class InMemoryOutbox:
    """Outbox events in insertion order, with per-aggregate sequence counters."""

    def __init__(self, namespace: str | None = None) -> None:
        state = _STORES.get(namespace)
        self._records = state.records
        self._last_sequence = state.last_sequence

    async def save_event(self, event: OutboxEvent) -> None:
        await asyncio.sleep(0)
        sequence_id = None
        if event.aggregate_key is not None:
            sequence_id = self._last_sequence.get(event.aggregate_key, 0) + 1
            self._last_sequence[event.aggregate_key] = sequence_id
        self._insert(event, sequence_id)

    def _insert(self, event: OutboxEvent, sequence_id: int | None) -> None:
        event_id = str(uuid.uuid4())
        self._records[event_id] = {
            "event_id": event_id,
            "aggregate_key": event.aggregate_key,
            "destination_topic": event.destination_topic,
            "payload": bytes(event.payload),
            "message_key": event.message_key,
            "status": PENDING,
            "sequence_id": sequence_id,
        }

    def _pending(self) -> list[Record]:
        return [r for r in self._records.values() if r["status"] == PENDING]

    async def get_pending_unordered_events(self, limit: int = 100) -> list[Record]:
        if limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        await asyncio.sleep(0)
        unordered = [r for r in self._pending() if r["aggregate_key"] is None]
        return [dict(r) for r in unordered[:limit]]

    async def get_pending_events_for_aggregate(self, aggregate_key: str) -> list[Record]:
        await asyncio.sleep(0)
        records = [r for r in self._pending() if r["aggregate_key"] == aggregate_key]
        return [dict(r) for r in sorted(records, key=lambda r: r["sequence_id"])]

    async def get_pending_aggregate_keys(self) -> list[str]:
        await asyncio.sleep(0)
        return sorted(
            {r["aggregate_key"] for r in self._pending() if r["aggregate_key"] is not None}
        )

    async def mark_as_processed(self, event: Record) -> None:
        await asyncio.sleep(0)
        record = self._records.get(event["event_id"])
        if record is not None:
            record["status"] = PROCESSED
