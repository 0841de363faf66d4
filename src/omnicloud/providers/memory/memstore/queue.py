"""MemStore's queue family (queue_: leases, visibility, dead letters, delays)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from omnicloud.providers.memory.memstore.common import positive, tick
from tck_py.interfaces.models import QueueMessage


@dataclass
class _Entry:
    message_id: str
    payload: bytes
    metadata: dict[str, str]
    priority: int
    seq: int
    due: float = 0.0
    invisible_until: float | None = None
    deliveries: int = 0

    def view(self) -> QueueMessage:
        return QueueMessage(self.message_id, self.payload, dict(self.metadata), self.deliveries)


@dataclass
class _Queue:
    entries: dict[str, _Entry] = field(default_factory=dict)
    dead_letter: tuple[str, int] | None = None


class QueueFamily:
    _queues: dict[str, _Queue]
    _seq: int

    def _init_queue(self) -> None:
        self._queues, self._seq = {}, 0

    def _queue(self, name: str) -> _Queue:
        return self._queues.setdefault(name, _Queue())

    def _add(self, queue: str, entry: _Entry) -> str:
        self._queue(queue).entries[entry.message_id] = entry
        return entry.message_id

    def _new(
        self,
        payload: bytes,
        metadata: Mapping[str, str] | None,
        priority: int = 0,
        delay: float = 0.0,
    ) -> _Entry:
        self._seq += 1
        return _Entry(
            uuid.uuid4().hex,
            bytes(payload),
            dict(metadata or {}),
            priority,
            self._seq,
            time.monotonic() + delay,
        )

    def _reclaim(self, name: str) -> None:
        """Expired visibility timeouts make messages visible again (or dead-letter them)."""
        now = time.monotonic()
        for entry in list(self._queue(name).entries.values()):
            if entry.invisible_until is not None and entry.invisible_until <= now:
                self._return(name, entry)

    def _return(self, name: str, entry: _Entry) -> None:
        queue = self._queue(name)
        entry.invisible_until = None
        if queue.dead_letter is not None and entry.deliveries >= queue.dead_letter[1]:
            del queue.entries[entry.message_id]
            self._add(queue.dead_letter[0], replace(entry, deliveries=0, due=0.0, seq=self._bump()))

    def _bump(self) -> int:
        self._seq += 1
        return self._seq

    def _visible(self, name: str) -> list[_Entry]:
        self._reclaim(name)
        now = time.monotonic()
        ready = [
            e
            for e in self._queue(name).entries.values()
            if e.invisible_until is None and e.due <= now
        ]
        return sorted(ready, key=lambda e: (-e.priority, e.seq))

    def _take(self, name: str, hide_for: float | None) -> QueueMessage | None:
        ready = self._visible(name)
        if not ready:
            return None
        entry = ready[0]
        entry.deliveries += 1
        if hide_for is None:
            del self._queue(name).entries[entry.message_id]
        else:
            entry.invisible_until = time.monotonic() + hide_for
        return entry.view()

    def _inflight(self, queue: str, message_id: str) -> _Entry | None:
        self._reclaim(queue)
        entry = self._queue(queue).entries.get(message_id)
        return entry if entry is not None and entry.invisible_until is not None else None

    async def queue_enqueue(
        self, queue: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        await tick()
        return self._add(queue, self._new(payload, metadata))

    async def queue_dequeue(self, queue: str) -> QueueMessage | None:
        await tick()
        return self._take(queue, None)

    async def queue_peek(self, queue: str) -> QueueMessage | None:
        await tick()
        ready = self._visible(queue)
        return ready[0].view() if ready else None

    async def queue_dequeue_with_timeout(
        self, queue: str, visibility_timeout: float
    ) -> QueueMessage | None:
        positive("visibility_timeout", visibility_timeout)
        await tick()
        return self._take(queue, visibility_timeout)

    async def queue_extend_visibility(
        self, queue: str, message_id: str, visibility_timeout: float
    ) -> bool:
        positive("visibility_timeout", visibility_timeout)
        await tick()
        entry = self._inflight(queue, message_id)
        if entry is None:
            return False
        entry.invisible_until = time.monotonic() + visibility_timeout
        return True

    async def queue_release(self, queue: str, message_id: str) -> bool:
        await tick()
        entry = self._inflight(queue, message_id)
        if entry is None:
            return False
        self._return(queue, entry)
        return True

    async def queue_ack(self, queue: str, message_id: str) -> bool:
        await tick()
        entry = self._inflight(queue, message_id)
        if entry is None:
            return False
        del self._queue(queue).entries[message_id]
        return True

    async def queue_configure_dead_letter(
        self, queue: str, dead_letter_queue: str, max_deliveries: int
    ) -> None:
        positive("max_deliveries", max_deliveries)
        if dead_letter_queue == queue:
            raise ValueError("a queue cannot be its own dead-letter queue")
        await tick()
        self._queue(queue).dead_letter = (dead_letter_queue, max_deliveries)

    async def queue_get_dead_letters(self, queue: str) -> list[QueueMessage]:
        await tick()
        target = self._queue(queue).dead_letter
        if target is None:
            return []
        return [e.view() for e in self._visible(target[0])]

    async def queue_enqueue_with_priority(
        self, queue: str, payload: bytes, priority: int, metadata: Mapping[str, str] | None = None
    ) -> str:
        await tick()
        return self._add(queue, self._new(payload, metadata, priority))

    async def queue_enqueue_delayed(
        self, queue: str, payload: bytes, delay: float, metadata: Mapping[str, str] | None = None
    ) -> str:
        if delay < 0:
            raise ValueError(f"delay must be >= 0, got {delay!r}")
        await tick()
        return self._add(queue, self._new(payload, metadata, delay=delay))

    async def queue_scheduled_count(self, queue: str) -> int:
        await tick()
        now = time.monotonic()
        return sum(e.due > now for e in self._queue(queue).entries.values())
