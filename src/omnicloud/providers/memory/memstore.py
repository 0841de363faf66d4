"""MemStore: the in-memory reference provider of all 45 interfaces (and the kv_store contract).

One object, one method namespace: key-value methods are bare (``get``, ``set``...), every other
family is prefixed (``list_``, ``set_``, ``zset_``, ``stream_``, ``queue_``, ``ts_``, ``graph_``,
``doc_``), so a backend such as Redis can offer many families side by side. Each family keeps its
own key space. Every method is ``async`` and yields to the event loop once before touching state,
so concurrent callers interleave as they would against a real server, while each operation stays
atomic (no ``await`` between a read and the write that depends on it).

    [providers.memstore]
    contract = "kv_store"
    factory = "omnicloud.providers.memory.memstore:MemStore"
    implements = [...]   # all 45, see docs/interfaces.md
"""

from __future__ import annotations

import asyncio
import copy
import math
import random
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from omnicloud.providers.memory.document import same_value
from tck_py.interfaces.errors import DuplicateKeyError, TransactionConflictError
from tck_py.interfaces.models import (
    Edge,
    GroupInfo,
    IndexInfo,
    Message,
    QueueMessage,
    Retention,
    StreamRecord,
)

_POLL = 0.005  # how often blocking reads look again; in-memory, so cheap


async def _tick() -> None:
    await asyncio.sleep(0)


def _positive(name: str, value: float | None) -> None:
    if value is not None and not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def _inclusive(length: int, start: int, stop: int) -> range:
    """Redis-style inclusive index range, negative indexes from the end."""
    start = max(start + length if start < 0 else start, 0)
    stop = min(stop + length if stop < 0 else stop, length - 1)
    return range(start, stop + 1) if start <= stop else range(0)


async def _wait_for(take: Callable[[], Any], timeout: float) -> Any:
    """Call ``take`` until it returns something other than None, or ``timeout`` passes."""
    if timeout < 0:
        raise ValueError(f"timeout must be >= 0, got {timeout!r}")
    deadline = time.monotonic() + timeout
    while True:
        value = take()
        if value is not None or time.monotonic() >= deadline:
            return value
        await asyncio.sleep(min(_POLL, max(deadline - time.monotonic(), 0)))


# --------------------------------------------------------------------------------------- keyvalue
class _Transaction:
    """Optimistic transaction: buffered writes, commit refused if a key it read has changed."""

    def __init__(self, store: _KeyValue) -> None:
        self._store = store
        self._writes: dict[str, str | None] = {}
        self._reads: dict[str, int] = {}
        self._done = False

    def _open(self) -> None:
        if self._done:
            raise RuntimeError("transaction already committed or rolled back")

    async def set(self, key: str, value: str) -> None:
        self._open()
        self._writes[key] = value

    async def delete(self, key: str) -> None:
        self._open()
        self._writes[key] = None

    async def get(self, key: str) -> str | None:
        self._open()
        await _tick()
        if key in self._writes:
            return self._writes[key]
        self._reads.setdefault(key, self._store._version(key))
        return self._store._read(key)

    async def commit(self) -> None:
        self._open()
        await _tick()
        self._done = True
        changed = [k for k, v in self._reads.items() if self._store._version(k) != v]
        if changed:
            raise TransactionConflictError(f"keys changed since read: {sorted(changed)}")
        for key, value in self._writes.items():
            if value is None:
                self._store._remove(key)
            else:
                self._store._write(key, value)

    async def rollback(self) -> None:
        self._open()
        self._done = True
        self._writes.clear()


class _KeyValue:
    _kv: dict[str, str]
    _expiry: dict[str, float]
    _versions: dict[str, int]

    def _init_keyvalue(self) -> None:
        self._kv, self._expiry, self._versions = {}, {}, {}

    def _version(self, key: str) -> int:
        self._read(key)
        return self._versions.get(key, 0)

    def _read(self, key: str) -> str | None:
        deadline = self._expiry.get(key)
        if deadline is not None and time.monotonic() >= deadline:
            self._remove(key)
        return self._kv.get(key)

    def _write(self, key: str, value: str, ttl: float | None = None) -> None:
        self._kv[key] = value
        self._expiry.pop(key, None)
        if ttl is not None:
            self._expiry[key] = time.monotonic() + ttl
        self._versions[key] = self._versions.get(key, 0) + 1

    def _remove(self, key: str) -> bool:
        existed = self._kv.pop(key, None) is not None
        self._expiry.pop(key, None)
        self._versions[key] = self._versions.get(key, 0) + 1
        return existed

    def _live_keys(self, prefix: str) -> list[str]:
        return sorted(
            k for k in list(self._kv) if k.startswith(prefix) and self._read(k) is not None
        )

    async def set(self, key: str, value: str) -> None:
        await _tick()
        self._write(key, value)

    async def get(self, key: str) -> str | None:
        await _tick()
        return self._read(key)

    async def delete(self, key: str) -> bool:
        await _tick()
        return self._read(key) is not None and self._remove(key)

    async def exists(self, key: str) -> bool:
        await _tick()
        return self._read(key) is not None

    async def scan(self, prefix: str = "", limit: int | None = None) -> list[tuple[str, str]]:
        return [(k, self._kv[k]) for k in await self.scan_keys(prefix, limit)]

    async def scan_keys(self, prefix: str = "", limit: int | None = None) -> list[str]:
        await _tick()
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        keys = self._live_keys(prefix)
        return keys if limit is None else keys[:limit]

    async def count(self, prefix: str = "") -> int:
        await _tick()
        return len(self._live_keys(prefix))

    async def set_with_ttl(self, key: str, value: str, ttl: float) -> None:
        _positive("ttl", ttl)
        await _tick()
        self._write(key, value, ttl)

    async def expire(self, key: str, ttl: float) -> bool:
        await _tick()
        if self._read(key) is None:
            return False
        if ttl <= 0:
            self._remove(key)
        else:
            self._expiry[key] = time.monotonic() + ttl
        return True

    async def get_ttl(self, key: str) -> float | None:
        await _tick()
        if self._read(key) is None:
            return None
        deadline = self._expiry.get(key)
        return math.inf if deadline is None else max(deadline - time.monotonic(), 0.0)

    async def persist(self, key: str) -> bool:
        await _tick()
        return self._read(key) is not None and self._expiry.pop(key, None) is not None

    async def begin_transaction(self) -> _Transaction:
        await _tick()
        return _Transaction(self)

    async def batch_set(self, items: Mapping[str, str]) -> None:
        await _tick()
        for key, value in items.items():
            self._write(key, value)

    async def batch_get(self, keys: Sequence[str]) -> list[str | None]:
        await _tick()
        return [self._read(k) for k in keys]

    async def batch_delete(self, keys: Sequence[str]) -> int:
        await _tick()
        return sum(self._read(k) is not None and self._remove(k) for k in keys)

    async def compare_and_swap(self, key: str, expected: str | None, value: str) -> bool:
        await _tick()
        if self._read(key) != expected:
            return False
        self._write(key, value)
        return True

    async def compare_and_delete(self, key: str, expected: str) -> bool:
        await _tick()
        return self._read(key) == expected and self._remove(key)


# ----------------------------------------------------------------------------------------- pubsub
def pattern_matches(pattern: str, topic: str) -> bool:
    """NATS-style: '*' matches one token, a final '>' one or more tokens."""
    want, have = pattern.split("."), topic.split(".")
    for index, token in enumerate(want):
        if token == ">" and index == len(want) - 1:
            return len(have) > index
        if index >= len(have) or (token != "*" and token != have[index]):
            return False
    return len(want) == len(have)


class _PubSub:
    _topics: dict[str, dict[str, dict[str, str] | None]]
    _patterns: dict[str, set[str]]
    _mailboxes: dict[str, list[Message]]
    _log: dict[str, list[Message]]
    _cursors: dict[tuple[str, str], int]

    def _init_pubsub(self) -> None:
        self._topics, self._patterns, self._mailboxes = {}, {}, {}
        self._log, self._cursors = {}, {}

    def _deliver(self, message: Message) -> None:
        receivers: list[str] = []
        for subscriber, wanted in self._topics.get(message.topic, {}).items():
            if wanted is None or all(message.metadata.get(k) == v for k, v in wanted.items()):
                receivers.append(subscriber)
        for pattern, subscribers in self._patterns.items():
            if pattern_matches(pattern, message.topic):
                receivers.extend(subscribers)
        for subscriber in dict.fromkeys(receivers):
            self._mailboxes.setdefault(subscriber, []).append(message)

    def _message(
        self,
        topic: str,
        payload: bytes,
        metadata: Mapping[str, str] | None,
        message_id: str | None = None,
    ) -> Message:
        return Message(
            topic, bytes(payload), dict(metadata or {}), message_id or uuid.uuid4().hex, time.time()
        )

    async def publish(
        self, topic: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        await _tick()
        message = self._message(topic, payload, metadata)
        self._deliver(message)
        return message.message_id

    async def subscribe(self, topic: str, subscriber_id: str) -> None:
        await _tick()
        self._topics.setdefault(topic, {})[subscriber_id] = None

    async def unsubscribe(self, topic: str, subscriber_id: str) -> None:
        await _tick()
        self._topics.get(topic, {}).pop(subscriber_id, None)

    async def receive(self, subscriber_id: str, timeout: float) -> Message | None:
        def take() -> Message | None:
            box = self._mailboxes.get(subscriber_id)
            return box.pop(0) if box else None

        await _tick()
        result: Message | None = await _wait_for(take, timeout)
        return result

    async def subscribe_pattern(self, pattern: str, subscriber_id: str) -> None:
        if not pattern or any(not t for t in pattern.split(".")):
            raise ValueError(f"invalid pattern {pattern!r}")
        await _tick()
        self._patterns.setdefault(pattern, set()).add(subscriber_id)

    async def unsubscribe_pattern(self, pattern: str, subscriber_id: str) -> None:
        await _tick()
        self._patterns.get(pattern, set()).discard(subscriber_id)

    async def publish_persistent(
        self, topic: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        await _tick()
        log = self._log.setdefault(topic, [])
        message = self._message(topic, payload, metadata, f"{len(log) + 1:020d}")
        log.append(message)
        self._deliver(message)
        return message.message_id

    async def subscribe_durable(self, topic: str, durable_name: str) -> None:
        await _tick()
        self._cursors.setdefault((topic, durable_name), 0)

    async def receive_durable(
        self, topic: str, durable_name: str, timeout: float
    ) -> Message | None:
        if (topic, durable_name) not in self._cursors:
            raise KeyError(f"no durable subscription {durable_name!r} on {topic!r}")

        def take() -> Message | None:
            log, cursor = self._log.get(topic, []), self._cursors[(topic, durable_name)]
            if cursor >= len(log):
                return None
            self._cursors[(topic, durable_name)] = cursor + 1
            return log[cursor]

        await _tick()
        result: Message | None = await _wait_for(take, timeout)
        return result

    async def get_last_message_id(self, topic: str) -> str | None:
        await _tick()
        log = self._log.get(topic)
        return log[-1].message_id if log else None

    async def publish_with_attributes(
        self, topic: str, payload: bytes, attributes: Mapping[str, str]
    ) -> str:
        return await self.publish(topic, payload, attributes)

    async def subscribe_filtered(
        self, topic: str, subscriber_id: str, filter: Mapping[str, str]
    ) -> None:
        await _tick()
        self._topics.setdefault(topic, {})[subscriber_id] = dict(filter)

    async def publish_ordered(
        self,
        topic: str,
        payload: bytes,
        ordering_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        return await self.publish(topic, payload, metadata)


# ----------------------------------------------------------------------------------------- stream
@dataclass
class _Group:
    cursor: int
    pending: dict[int, str] = field(default_factory=dict)
    consumers: set[str] = field(default_factory=set)


@dataclass
class _Log:
    records: list[StreamRecord] = field(default_factory=list)
    next_offset: int = 0
    retention: Retention = field(default_factory=Retention)
    groups: dict[str, _Group] = field(default_factory=dict)

    def append(self, payload: bytes, headers: Mapping[str, str] | None) -> int:
        offset = self.next_offset
        self.records.append(StreamRecord(offset, bytes(payload), dict(headers or {}), time.time()))
        self.next_offset += 1
        return offset

    def read(self, offset: int, limit: int) -> list[StreamRecord]:
        if offset < 0:
            raise ValueError(f"offset must be >= 0, got {offset}")
        _positive("limit", limit)
        return [r for r in self.records if r.offset >= offset][:limit]


class _Stream:
    _streams: dict[str, _Log]
    _partitions: dict[str, list[_Log]]

    def _init_stream(self) -> None:
        self._streams, self._partitions = {}, {}

    def _stream(self, name: str) -> _Log:
        return self._streams.setdefault(name, _Log())

    def _group(self, stream: str, group: str) -> _Group:
        found = self._stream(stream).groups.get(group)
        if found is None:
            raise KeyError(f"no consumer group {group!r} on stream {stream!r}")
        return found

    async def stream_append(
        self, stream: str, payload: bytes, headers: Mapping[str, str] | None = None
    ) -> int:
        await _tick()
        return self._stream(stream).append(payload, headers)

    async def stream_read(self, stream: str, offset: int, limit: int = 100) -> list[StreamRecord]:
        await _tick()
        return self._stream(stream).read(offset, limit)

    async def stream_latest_offset(self, stream: str) -> int:
        await _tick()
        return self._stream(stream).next_offset - 1

    async def stream_create_group(self, stream: str, group: str, start_offset: int = 0) -> bool:
        await _tick()
        groups = self._stream(stream).groups
        if group in groups:
            return False
        groups[group] = _Group(start_offset)
        return True

    async def stream_read_group(
        self, stream: str, group: str, consumer: str, limit: int = 10
    ) -> list[StreamRecord]:
        await _tick()
        state = self._group(stream, group)
        records = self._stream(stream).read(state.cursor, limit)
        state.consumers.add(consumer)
        for record in records:
            state.pending[record.offset] = consumer
            state.cursor = record.offset + 1
        return records

    async def stream_ack(self, stream: str, group: str, offsets: Sequence[int]) -> int:
        await _tick()
        state = self._group(stream, group)
        return sum(state.pending.pop(o, None) is not None for o in set(offsets))

    async def stream_group_info(self, stream: str, group: str) -> GroupInfo:
        await _tick()
        state = self._group(stream, group)
        return GroupInfo(
            group, len(state.pending), state.cursor - 1, tuple(sorted(state.consumers))
        )

    async def stream_replay(self, stream: str, start: int, end: int) -> list[StreamRecord]:
        await _tick()
        return [r for r in self._stream(stream).records if start <= r.offset < end]

    async def stream_offset_for_time(self, stream: str, timestamp: float) -> int:
        await _tick()
        log = self._stream(stream)
        return next((r.offset for r in log.records if r.timestamp >= timestamp), log.next_offset)

    async def stream_set_retention(
        self, stream: str, max_age: float | None = None, max_records: int | None = None
    ) -> None:
        _positive("max_age", max_age)
        _positive("max_records", max_records)
        await _tick()
        self._stream(stream).retention = Retention(max_age, max_records)

    async def stream_get_retention(self, stream: str) -> Retention:
        await _tick()
        return self._stream(stream).retention

    async def stream_compact(self, stream: str) -> int:
        await _tick()
        log = self._stream(stream)
        kept = log.records
        if log.retention.max_age is not None:
            oldest = time.time() - log.retention.max_age
            kept = [r for r in kept if r.timestamp >= oldest]
        if log.retention.max_records is not None:
            kept = kept[-log.retention.max_records :]
        removed = len(log.records) - len(kept)
        log.records = kept
        return removed

    def _partition(self, stream: str, partition: int) -> _Log:
        logs = self._partitions.get(stream)
        if logs is None:
            raise KeyError(f"stream {stream!r} is not partitioned")
        if not 0 <= partition < len(logs):
            raise IndexError(f"partition {partition} out of range 0..{len(logs) - 1}")
        return logs[partition]

    async def stream_create_partitions(self, stream: str, count: int) -> None:
        _positive("count", count)
        await _tick()
        existing = self._partitions.get(stream)
        if existing is not None and len(existing) != count:
            raise ValueError(f"stream {stream!r} already has {len(existing)} partitions")
        self._partitions.setdefault(stream, [_Log() for _ in range(count)])

    async def stream_get_partitions(self, stream: str) -> list[int]:
        await _tick()
        return list(range(len(self._partitions.get(stream, []))))

    async def stream_append_to_partition(
        self, stream: str, partition: int, payload: bytes, headers: Mapping[str, str] | None = None
    ) -> int:
        await _tick()
        return self._partition(stream, partition).append(payload, headers)

    async def stream_read_partition(
        self, stream: str, partition: int, offset: int, limit: int = 100
    ) -> list[StreamRecord]:
        await _tick()
        return self._partition(stream, partition).read(offset, limit)


# ------------------------------------------------------------------------------------------ queue
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


class _Queues:
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
        await _tick()
        return self._add(queue, self._new(payload, metadata))

    async def queue_dequeue(self, queue: str) -> QueueMessage | None:
        await _tick()
        return self._take(queue, None)

    async def queue_peek(self, queue: str) -> QueueMessage | None:
        await _tick()
        ready = self._visible(queue)
        return ready[0].view() if ready else None

    async def queue_dequeue_with_timeout(
        self, queue: str, visibility_timeout: float
    ) -> QueueMessage | None:
        _positive("visibility_timeout", visibility_timeout)
        await _tick()
        return self._take(queue, visibility_timeout)

    async def queue_extend_visibility(
        self, queue: str, message_id: str, visibility_timeout: float
    ) -> bool:
        _positive("visibility_timeout", visibility_timeout)
        await _tick()
        entry = self._inflight(queue, message_id)
        if entry is None:
            return False
        entry.invisible_until = time.monotonic() + visibility_timeout
        return True

    async def queue_release(self, queue: str, message_id: str) -> bool:
        await _tick()
        entry = self._inflight(queue, message_id)
        if entry is None:
            return False
        self._return(queue, entry)
        return True

    async def queue_ack(self, queue: str, message_id: str) -> bool:
        await _tick()
        entry = self._inflight(queue, message_id)
        if entry is None:
            return False
        del self._queue(queue).entries[message_id]
        return True

    async def queue_configure_dead_letter(
        self, queue: str, dead_letter_queue: str, max_deliveries: int
    ) -> None:
        _positive("max_deliveries", max_deliveries)
        if dead_letter_queue == queue:
            raise ValueError("a queue cannot be its own dead-letter queue")
        await _tick()
        self._queue(queue).dead_letter = (dead_letter_queue, max_deliveries)

    async def queue_get_dead_letters(self, queue: str) -> list[QueueMessage]:
        await _tick()
        target = self._queue(queue).dead_letter
        if target is None:
            return []
        return [e.view() for e in self._visible(target[0])]

    async def queue_enqueue_with_priority(
        self, queue: str, payload: bytes, priority: int, metadata: Mapping[str, str] | None = None
    ) -> str:
        await _tick()
        return self._add(queue, self._new(payload, metadata, priority))

    async def queue_enqueue_delayed(
        self, queue: str, payload: bytes, delay: float, metadata: Mapping[str, str] | None = None
    ) -> str:
        if delay < 0:
            raise ValueError(f"delay must be >= 0, got {delay!r}")
        await _tick()
        return self._add(queue, self._new(payload, metadata, delay=delay))

    async def queue_scheduled_count(self, queue: str) -> int:
        await _tick()
        now = time.monotonic()
        return sum(e.due > now for e in self._queue(queue).entries.values())


# ------------------------------------------------------------------------------------------ lists
class _Lists:
    _lists: dict[str, list[str]]

    def _init_list(self) -> None:
        self._lists = {}

    def _pop(self, key: str, index: int) -> str | None:
        items = self._lists.get(key)
        if not items:
            return None
        value = items.pop(index)
        if not items:
            del self._lists[key]
        return value

    async def list_push_left(self, key: str, *values: str) -> int:
        if not values:
            raise ValueError("list_push_left needs at least one value")
        await _tick()
        items = self._lists.setdefault(key, [])
        items[:0] = reversed(values)
        return len(items)

    async def list_push_right(self, key: str, *values: str) -> int:
        if not values:
            raise ValueError("list_push_right needs at least one value")
        await _tick()
        items = self._lists.setdefault(key, [])
        items.extend(values)
        return len(items)

    async def list_pop_left(self, key: str) -> str | None:
        await _tick()
        return self._pop(key, 0)

    async def list_pop_right(self, key: str) -> str | None:
        await _tick()
        return self._pop(key, -1)

    async def list_length(self, key: str) -> int:
        await _tick()
        return len(self._lists.get(key, []))

    async def list_get(self, key: str, index: int) -> str | None:
        await _tick()
        items = self._lists.get(key, [])
        return items[index] if -len(items) <= index < len(items) else None

    async def list_set(self, key: str, index: int, value: str) -> None:
        await _tick()
        items = self._lists.get(key, [])
        if not -len(items) <= index < len(items):
            raise IndexError(f"index {index} out of range for list {key!r} of {len(items)}")
        items[index] = value

    async def list_insert(
        self, key: str, pivot: str, value: str, before: bool = True
    ) -> int | None:
        await _tick()
        items = self._lists.get(key, [])
        if pivot not in items:
            return None
        index = items.index(pivot)
        items.insert(index if before else index + 1, value)
        return len(items)

    async def list_remove(self, key: str, value: str, count: int = 0) -> int:
        await _tick()
        items = self._lists.get(key, [])
        order = range(len(items) - 1, -1, -1) if count < 0 else range(len(items))
        hits = [i for i in order if items[i] == value][: abs(count) or None]
        for index in sorted(hits, reverse=True):
            del items[index]
        if key in self._lists and not items:
            del self._lists[key]
        return len(hits)

    async def list_range(self, key: str, start: int, stop: int) -> list[str]:
        await _tick()
        items = self._lists.get(key, [])
        return [items[i] for i in _inclusive(len(items), start, stop)]

    async def list_trim(self, key: str, start: int, stop: int) -> None:
        await _tick()
        items = self._lists.get(key, [])
        kept = [items[i] for i in _inclusive(len(items), start, stop)]
        if kept:
            self._lists[key] = kept
        else:
            self._lists.pop(key, None)

    async def list_blocking_pop_left(self, key: str, timeout: float) -> str | None:
        await _tick()
        result: str | None = await _wait_for(lambda: self._pop(key, 0), timeout)
        return result

    async def list_blocking_pop_right(self, key: str, timeout: float) -> str | None:
        await _tick()
        result: str | None = await _wait_for(lambda: self._pop(key, -1), timeout)
        return result


# ------------------------------------------------------------------------------------------- sets
class _Sets:
    _sets: dict[str, set[str]]
    _random: random.Random

    def _init_set(self) -> None:
        self._sets, self._random = {}, random.Random()

    def _members(self, key: str) -> set[str]:
        return self._sets.get(key, set())

    async def set_add(self, key: str, *members: str) -> int:
        if not members:
            raise ValueError("set_add needs at least one member")
        await _tick()
        current = self._sets.setdefault(key, set())
        before = len(current)
        current.update(members)
        return len(current) - before

    async def set_remove(self, key: str, *members: str) -> int:
        await _tick()
        current = self._members(key)
        removed = len(current & set(members))
        current.difference_update(members)
        if not current:
            self._sets.pop(key, None)
        return removed

    async def set_contains(self, key: str, member: str) -> bool:
        await _tick()
        return member in self._members(key)

    async def set_members(self, key: str) -> set[str]:
        await _tick()
        return set(self._members(key))

    async def set_union(self, *keys: str) -> set[str]:
        await _tick()
        return set().union(*(self._members(k) for k in keys))

    async def set_intersection(self, *keys: str) -> set[str]:
        if not keys:
            raise ValueError("set_intersection needs at least one key")
        await _tick()
        return set(self._members(keys[0])).intersection(*(self._members(k) for k in keys[1:]))

    async def set_difference(self, key: str, *others: str) -> set[str]:
        await _tick()
        return set(self._members(key)).difference(*(self._members(k) for k in others))

    async def set_size(self, key: str) -> int:
        await _tick()
        return len(self._members(key))

    async def set_is_member(self, key: str, member: str) -> bool:
        return await self.set_contains(key, member)

    async def set_random_member(self, key: str) -> str | None:
        await _tick()
        members = sorted(self._members(key))
        return self._random.choice(members) if members else None

    async def set_pop_random(self, key: str) -> str | None:
        await _tick()
        members = sorted(self._members(key))
        if not members:
            return None
        chosen = self._random.choice(members)
        self._sets[key].discard(chosen)
        if not self._sets[key]:
            del self._sets[key]
        return chosen


# ------------------------------------------------------------------------------------ sorted sets
_AGGREGATES: dict[str, Callable[[Iterable[float]], float]] = {"sum": sum, "min": min, "max": max}


class _SortedSets:
    _zsets: dict[str, dict[str, float]]

    def _init_sortedset(self) -> None:
        self._zsets = {}

    def _ordered(self, key: str) -> list[tuple[str, float]]:
        return sorted(self._zsets.get(key, {}).items(), key=lambda item: (item[1], item[0]))

    async def zset_add(self, key: str, member: str, score: float) -> bool:
        if math.isnan(score):
            raise ValueError("score must not be NaN")
        await _tick()
        scores = self._zsets.setdefault(key, {})
        new = member not in scores
        scores[member] = float(score)
        return new

    async def zset_remove(self, key: str, *members: str) -> int:
        await _tick()
        scores = self._zsets.get(key, {})
        removed = sum(scores.pop(m, None) is not None for m in set(members))
        if key in self._zsets and not scores:
            del self._zsets[key]
        return removed

    async def zset_score(self, key: str, member: str) -> float | None:
        await _tick()
        return self._zsets.get(key, {}).get(member)

    async def zset_range(self, key: str, start: int, stop: int) -> list[tuple[str, float]]:
        await _tick()
        ordered = self._ordered(key)
        return [ordered[i] for i in _inclusive(len(ordered), start, stop)]

    async def zset_range_by_score(
        self, key: str, min_score: float, max_score: float, limit: int | None = None
    ) -> list[tuple[str, float]]:
        await _tick()
        hits = [(m, s) for m, s in self._ordered(key) if min_score <= s <= max_score]
        return hits if limit is None else hits[:limit]

    async def zset_rank(self, key: str, member: str) -> int | None:
        await _tick()
        members = [m for m, _ in self._ordered(key)]
        return members.index(member) if member in members else None

    async def zset_reverse_rank(self, key: str, member: str) -> int | None:
        rank = await self.zset_rank(key, member)
        return None if rank is None else len(self._zsets[key]) - 1 - rank

    async def _combine(
        self, keys: Sequence[str], aggregate: str, keep: Callable[[str], bool]
    ) -> list[tuple[str, float]]:
        if not keys:
            raise ValueError("at least one key is needed")
        combine = _AGGREGATES.get(aggregate)
        if combine is None:
            raise ValueError(f"aggregate must be one of {sorted(_AGGREGATES)}, got {aggregate!r}")
        await _tick()
        sources = [self._zsets.get(k, {}) for k in keys]
        members = {m for scores in sources for m in scores if keep(m)}
        out = {m: float(combine(s[m] for s in sources if m in s)) for m in members}
        return sorted(out.items(), key=lambda item: (item[1], item[0]))

    async def zset_union(self, *keys: str, aggregate: str = "sum") -> list[tuple[str, float]]:
        return await self._combine(keys, aggregate, lambda m: True)

    async def zset_intersection(
        self, *keys: str, aggregate: str = "sum"
    ) -> list[tuple[str, float]]:
        return await self._combine(
            keys, aggregate, lambda m: all(m in self._zsets.get(k, {}) for k in keys)
        )

    async def zset_range_by_lex(self, key: str, lower: str | None, upper: str | None) -> list[str]:
        await _tick()
        return [
            m
            for m, _ in self._ordered(key)
            if (lower is None or m >= lower) and (upper is None or m <= upper)
        ]


# ------------------------------------------------------------------------------------ time series
def _aggregate(
    points: Iterable[tuple[float, float]], bucket: float, function: str
) -> list[tuple[float, float]]:
    functions: dict[str, Callable[[list[float]], float]] = {
        "avg": lambda v: sum(v) / len(v),
        "sum": sum,
        "min": min,
        "max": max,
        "count": lambda v: float(len(v)),
        "first": lambda v: v[0],
        "last": lambda v: v[-1],
    }
    if function not in functions:
        raise ValueError(f"function must be one of {sorted(functions)}, got {function!r}")
    _positive("bucket", bucket)
    buckets: dict[float, list[float]] = {}
    for timestamp, value in sorted(points):
        buckets.setdefault(math.floor(timestamp / bucket) * bucket, []).append(value)
    return [(start, float(functions[function](values))) for start, values in buckets.items()]


class _TimeSeries:
    _series: dict[str, dict[float, float]]
    _ts_retention: dict[str, float | None]

    def _init_timeseries(self) -> None:
        self._series, self._ts_retention = {}, {}

    def _points(self, series: str) -> list[tuple[float, float]]:
        return sorted(self._series.get(series, {}).items())

    async def ts_insert(self, series: str, timestamp: float, value: float) -> None:
        if math.isnan(timestamp):
            raise ValueError("timestamp must not be NaN")
        await _tick()
        self._series.setdefault(series, {})[float(timestamp)] = float(value)

    async def ts_query(self, series: str, start: float, end: float) -> list[tuple[float, float]]:
        await _tick()
        return [(t, v) for t, v in self._points(series) if start <= t <= end]

    async def ts_aggregate(
        self, series: str, start: float, end: float, bucket: float, function: str
    ) -> list[tuple[float, float]]:
        await _tick()
        return _aggregate(
            [(t, v) for t, v in self._points(series) if start <= t <= end], bucket, function
        )

    async def ts_rollup(self, series: str, destination: str, bucket: float, function: str) -> int:
        if destination == series:
            raise ValueError("destination must differ from the source series")
        await _tick()
        points = _aggregate(self._points(series), bucket, function)
        self._series.setdefault(destination, {}).update(points)
        return len(points)

    async def ts_set_retention(self, series: str, max_age: float | None) -> None:
        _positive("max_age", max_age)
        await _tick()
        self._ts_retention[series] = max_age

    async def ts_get_retention(self, series: str) -> float | None:
        await _tick()
        return self._ts_retention.get(series)

    async def ts_compact(self, series: str, now: float | None = None) -> int:
        await _tick()
        max_age = self._ts_retention.get(series)
        points = self._series.get(series, {})
        if max_age is None:
            return 0
        oldest = (time.time() if now is None else now) - max_age
        old = [t for t in points if t < oldest]
        for timestamp in old:
            del points[timestamp]
        return len(old)

    async def ts_interpolate_linear(
        self, series: str, timestamps: Sequence[float]
    ) -> list[float | None]:
        await _tick()
        points = self._points(series)
        return [_linear(points, t) for t in timestamps]

    async def ts_interpolate_step(
        self, series: str, timestamps: Sequence[float]
    ) -> list[float | None]:
        await _tick()
        points = self._points(series)
        return [next((v for pt, v in reversed(points) if pt <= t), None) for t in timestamps]


def _linear(points: list[tuple[float, float]], t: float) -> float | None:
    before = next(((pt, v) for pt, v in reversed(points) if pt <= t), None)
    after = next(((pt, v) for pt, v in points if pt >= t), None)
    if before is None or after is None:
        return None
    if after[0] == before[0]:
        return before[1]
    return before[1] + (after[1] - before[1]) * (t - before[0]) / (after[0] - before[0])


# ------------------------------------------------------------------------------------------ graph
@dataclass
class _GraphData:
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: dict[str, Edge] = field(default_factory=dict)

    def out(self, node: str) -> list[str]:
        return sorted({e.target for e in self.edges.values() if e.source == node})

    def require(self, node: str) -> None:
        if node not in self.nodes:
            raise KeyError(f"no node {node!r}")


_CYPHER = re.compile(
    r"^\s*MATCH\s+\((?P<a>\w+)\)(?:\s*-\[(?::(?P<label>\w+))?\]->\s*\((?P<b>\w+)\))?"
    r"(?:\s+WHERE\s+(?P<where>.+?))?\s+RETURN\s+(?P<ret>.+?)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CONDITION = re.compile(r"^\s*(\w+)\.(\w+)\s*=\s*(\$\w+|'[^']*'|-?\d+(?:\.\d+)?)\s*$")
_RETURN = re.compile(r"^\s*(\w+)\.(\w+)\s*$")


class _Graphs:
    _graphs: dict[str, _GraphData]

    def _init_graph(self) -> None:
        self._graphs = {}

    def _graph(self, name: str) -> _GraphData:
        return self._graphs.setdefault(name, _GraphData())

    async def graph_add_node(
        self, graph: str, node_id: str, properties: Mapping[str, Any] | None = None
    ) -> None:
        await _tick()
        self._graph(graph).nodes[node_id] = copy.deepcopy(dict(properties or {}))

    async def graph_add_edge(
        self,
        graph: str,
        source: str,
        target: str,
        label: str = "",
        properties: Mapping[str, Any] | None = None,
    ) -> str:
        await _tick()
        data = self._graph(graph)
        data.require(source)
        data.require(target)
        edge = Edge(uuid.uuid4().hex, source, target, label, copy.deepcopy(dict(properties or {})))
        data.edges[edge.edge_id] = edge
        return edge.edge_id

    async def graph_delete_node(self, graph: str, node_id: str) -> bool:
        await _tick()
        data = self._graph(graph)
        if data.nodes.pop(node_id, None) is None:
            return False
        for edge in [e for e in data.edges.values() if node_id in (e.source, e.target)]:
            del data.edges[edge.edge_id]
        return True

    async def graph_delete_edge(self, graph: str, edge_id: str) -> bool:
        await _tick()
        return self._graph(graph).edges.pop(edge_id, None) is not None

    async def graph_get_node(self, graph: str, node_id: str) -> dict[str, Any] | None:
        await _tick()
        node = self._graph(graph).nodes.get(node_id)
        return None if node is None else copy.deepcopy(node)

    async def graph_edges(self, graph: str, node_id: str) -> list[Edge]:
        await _tick()
        return [
            replace(e, properties=copy.deepcopy(e.properties))
            for e in self._graph(graph).edges.values()
            if node_id in (e.source, e.target)
        ]

    async def graph_traverse_dfs(
        self, graph: str, start: str, max_depth: int | None = None
    ) -> list[str]:
        await _tick()
        data = self._graph(graph)
        data.require(start)
        seen, order = {start}, [start]
        stack = [(start, 0, iter(data.out(start)))]
        while stack:
            _, depth, children = stack[-1]
            child = next((c for c in children if c not in seen), None)
            if child is None or (max_depth is not None and depth >= max_depth):
                stack.pop()
                continue
            seen.add(child)
            order.append(child)
            stack.append((child, depth + 1, iter(data.out(child))))
        return order

    async def graph_traverse_bfs(
        self, graph: str, start: str, max_depth: int | None = None
    ) -> list[str]:
        await _tick()
        data = self._graph(graph)
        data.require(start)
        seen, order, frontier, depth = {start}, [start], [start], 0
        while frontier and (max_depth is None or depth < max_depth):
            following = []
            for node in frontier:
                for child in data.out(node):
                    if child not in seen:
                        seen.add(child)
                        order.append(child)
                        following.append(child)
            frontier, depth = following, depth + 1
        return order

    async def graph_query(
        self, graph: str, language: str, query: str, parameters: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        if language.lower() != "cypher":
            raise ValueError(f"unsupported query language {language!r} (memstore: 'cypher')")
        await _tick()
        return _run_cypher(self._graph(graph), query, dict(parameters or {}))

    async def graph_shortest_path(self, graph: str, source: str, target: str) -> list[str] | None:
        await _tick()
        data = self._graph(graph)
        data.require(source)
        data.require(target)
        parents: dict[str, str | None] = {source: None}
        frontier = [source]
        while frontier and target not in parents:
            following = []
            for node in frontier:
                for child in data.out(node):
                    if child not in parents:
                        parents[child] = node
                        following.append(child)
            frontier = following
        if target not in parents:
            return None
        path: list[str] = []
        step: str | None = target
        while step is not None:
            path.append(step)
            step = parents[step]
        return path[::-1]

    async def graph_pagerank(
        self, graph: str, damping: float = 0.85, iterations: int = 50
    ) -> dict[str, float]:
        if not 0 < damping < 1:
            raise ValueError(f"damping must be in (0, 1), got {damping!r}")
        await _tick()
        data = self._graph(graph)
        nodes = sorted(data.nodes)
        if not nodes:
            return {}
        out = {n: data.out(n) for n in nodes}
        rank = dict.fromkeys(nodes, 1.0 / len(nodes))
        for _ in range(iterations):
            dangling = sum(rank[n] for n in nodes if not out[n]) / len(nodes)
            following = dict.fromkeys(nodes, (1 - damping) / len(nodes) + damping * dangling)
            for node in nodes:
                for child in out[node]:
                    following[child] += damping * rank[node] / len(out[node])
            rank = following
        return rank

    async def graph_connected_components(self, graph: str) -> list[set[str]]:
        await _tick()
        data = self._graph(graph)
        neighbours: dict[str, set[str]] = {n: set() for n in data.nodes}
        for edge in data.edges.values():
            neighbours[edge.source].add(edge.target)
            neighbours[edge.target].add(edge.source)
        components, seen = [], set()
        for node in sorted(data.nodes):
            if node in seen:
                continue
            component, todo = set(), [node]
            while todo:
                current = todo.pop()
                if current not in component:
                    component.add(current)
                    todo.extend(neighbours[current] - component)
            seen |= component
            components.append(component)
        return components


def _cypher_value(token: str, parameters: Mapping[str, Any]) -> Any:
    if token.startswith("$"):
        if token[1:] not in parameters:
            raise ValueError(f"missing query parameter {token}")
        return parameters[token[1:]]
    if token.startswith("'"):
        return token[1:-1]
    return float(token) if "." in token else int(token)


def _run_cypher(
    data: _GraphData, query: str, parameters: Mapping[str, Any]
) -> list[dict[str, Any]]:
    match = _CYPHER.match(query)
    if match is None:
        raise ValueError(f"unsupported query (memstore runs a small openCypher core): {query!r}")
    names = [n for n in (match["a"], match["b"]) if n]
    conditions = []
    for part in re.split(r"\s+AND\s+", match["where"] or "", flags=re.IGNORECASE):
        if part.strip():
            cond = _CONDITION.match(part)
            if cond is None or cond[1] not in names:
                raise ValueError(f"unsupported condition {part.strip()!r}")
            conditions.append((cond[1], cond[2], _cypher_value(cond[3], parameters)))
    returns = []
    for item in match["ret"].split(","):
        ret = _RETURN.match(item)
        if ret is None or ret[1] not in names:
            raise ValueError(f"unsupported return item {item.strip()!r}")
        returns.append((item.strip(), ret[1], ret[2]))

    def prop(node: str, key: str) -> Any:
        return node if key == "id" else data.nodes[node].get(key)

    if match["b"]:
        label = match["label"]
        bindings = [
            {match["a"]: e.source, match["b"]: e.target}
            for e in data.edges.values()
            if label is None or e.label == label
        ]
    else:
        bindings = [{match["a"]: n} for n in data.nodes]
    rows = [
        {text: prop(b[var], key) for text, var, key in returns}
        for b in bindings
        if all(prop(b[var], key) == value for var, key, value in conditions)
    ]
    return sorted(rows, key=lambda row: [str(v) for v in row.values()])


# -------------------------------------------------------------------------------------- documents
_MISSING = object()
# Equality is JSON equality (same_value): exact lists and objects, and True is not 1.
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": lambda a, b: a is not _MISSING and a > b,
    "$gte": lambda a, b: a is not _MISSING and a >= b,
    "$lt": lambda a, b: a is not _MISSING and a < b,
    "$lte": lambda a, b: a is not _MISSING and a <= b,
    "$ne": lambda a, b: a is _MISSING or not same_value(a, b),
    "$in": lambda a, b: a is not _MISSING and any(same_value(a, item) for item in b),
}


def _path(document: Mapping[str, Any], dotted: str) -> Any:
    value: Any = document
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _test(value: Any, condition: Any) -> bool:
    if isinstance(condition, Mapping) and condition and all(k.startswith("$") for k in condition):
        for op, operand in condition.items():
            if op not in _OPERATORS:
                raise ValueError(f"unsupported operator {op!r} (accepted: {sorted(_OPERATORS)})")
            try:
                if not _OPERATORS[op](value, operand):
                    return False
            except TypeError:
                return False
        return True
    return value is not _MISSING and same_value(value, condition)


def matches(document: Mapping[str, Any], filter: Mapping[str, Any]) -> bool:
    """Whether ``document`` satisfies a Mongo-style ``filter`` (the document_query subset)."""
    return all(_test(_path(document, key), cond) for key, cond in filter.items())


def _sort(docs: list[dict[str, Any]], sort: Sequence[tuple[str, int]]) -> list[dict[str, Any]]:
    for key, direction in reversed(list(sort)):
        present = [d for d in docs if _path(d, key) is not _MISSING]
        missing = [d for d in docs if _path(d, key) is _MISSING]
        present.sort(key=lambda d: _path(d, key), reverse=direction < 0)
        docs = missing + present if direction >= 0 else present + missing
    return docs


def _group(docs: list[dict[str, Any]], spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    def field_of(doc: dict[str, Any], expr: Any) -> Any:
        if isinstance(expr, str) and expr.startswith("$"):
            value = _path(doc, expr[1:])
            return None if value is _MISSING else value
        return expr

    groups: dict[Any, list[dict[str, Any]]] = {}
    for doc in docs:
        key = field_of(doc, spec.get("_id"))
        groups.setdefault(repr(key), []).append(doc)
    out = []
    for members in groups.values():
        row: dict[str, Any] = {"_id": field_of(members[0], spec.get("_id"))}
        for name, accumulator in spec.items():
            if name == "_id":
                continue
            ((op, expr),) = accumulator.items()
            values = [field_of(d, expr) for d in members]
            values = [v for v in values if v is not None]
            if op == "$sum":
                row[name] = sum(values)
            elif op == "$avg":
                row[name] = sum(values) / len(values) if values else None
            elif op in ("$min", "$max"):
                row[name] = (min if op == "$min" else max)(values) if values else None
            else:
                raise ValueError(f"unsupported accumulator {op!r}")
        out.append(row)
    return out


def _pipeline(
    docs: list[dict[str, Any]], stages: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    for stage in stages:
        ((name, arg),) = stage.items()
        if name == "$match":
            docs = [d for d in docs if matches(d, arg)]
        elif name == "$group":
            docs = _group(docs, arg)
        elif name == "$sort":
            docs = _sort(docs, list(arg.items()))
        elif name == "$limit":
            docs = docs[: int(arg)]
        else:
            raise ValueError(f"unsupported stage {name!r} (accepted: $match $group $sort $limit)")
    return docs


class _Documents:
    _docs: dict[str, dict[str, dict[str, Any]]]
    _indexes: dict[str, dict[str, IndexInfo]]

    def _init_document(self) -> None:
        self._docs, self._indexes = {}, {}

    def _collection(self, name: str) -> dict[str, dict[str, Any]]:
        return self._docs.setdefault(name, {})

    def _check_unique(self, collection: str, candidate: Mapping[str, Any], doc_id: str) -> None:
        for index in self._indexes.get(collection, {}).values():
            if not index.unique:
                continue
            key = [_path(candidate, f) for f in index.fields]
            if _MISSING in key:
                continue
            for other_id, other in self._collection(collection).items():
                if other_id != doc_id and [_path(other, f) for f in index.fields] == key:
                    shown = dict(zip(index.fields, key, strict=True))
                    raise DuplicateKeyError(f"unique index {index.name!r} already has {shown}")

    async def doc_insert(self, collection: str, document: Mapping[str, Any]) -> str:
        await _tick()
        doc = copy.deepcopy(dict(document))
        doc_id = str(doc.setdefault("_id", uuid.uuid4().hex))
        doc["_id"] = doc_id
        docs = self._collection(collection)
        if doc_id in docs:
            raise DuplicateKeyError(f"document {doc_id!r} already exists in {collection!r}")
        self._check_unique(collection, doc, doc_id)
        docs[doc_id] = doc
        return doc_id

    async def doc_get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        await _tick()
        doc = self._collection(collection).get(doc_id)
        return None if doc is None else copy.deepcopy(doc)

    async def doc_update(self, collection: str, doc_id: str, changes: Mapping[str, Any]) -> bool:
        if "_id" in changes and changes["_id"] != doc_id:
            raise ValueError("'_id' cannot be changed")
        await _tick()
        docs = self._collection(collection)
        if doc_id not in docs:
            return False
        updated = {**docs[doc_id], **copy.deepcopy(dict(changes))}
        self._check_unique(collection, updated, doc_id)
        docs[doc_id] = updated
        return True

    async def doc_delete(self, collection: str, doc_id: str) -> bool:
        await _tick()
        return self._collection(collection).pop(doc_id, None) is not None

    async def doc_find(
        self,
        collection: str,
        filter: Mapping[str, Any],
        limit: int | None = None,
        sort: Sequence[tuple[str, int]] | None = None,
    ) -> list[dict[str, Any]]:
        await _tick()
        docs = [d for d in self._collection(collection).values() if matches(d, filter)]
        if sort:
            docs = _sort(docs, sort)
        return copy.deepcopy(docs if limit is None else docs[:limit])

    async def doc_find_one(
        self, collection: str, filter: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        found = await self.doc_find(collection, filter, limit=1)
        return found[0] if found else None

    async def doc_aggregate(
        self, collection: str, pipeline: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        await _tick()
        return copy.deepcopy(_pipeline(list(self._collection(collection).values()), pipeline))

    async def doc_create_index(
        self, collection: str, fields: Sequence[str], unique: bool = False
    ) -> str:
        if not fields or isinstance(fields, str):
            raise ValueError("fields must be a non-empty sequence of field names")
        await _tick()
        name = "_".join(f"{f}_1" for f in fields)
        indexes = self._indexes.setdefault(collection, {})
        existing = indexes.get(name)
        if existing is not None:
            if existing.unique != unique:
                raise ValueError(f"index {name!r} exists with unique={existing.unique}")
            return name
        index = IndexInfo(name, tuple(fields), unique)
        indexes[name] = index
        try:
            for doc_id, doc in self._collection(collection).items():
                self._check_unique(collection, doc, doc_id)
        except DuplicateKeyError:
            del indexes[name]
            raise
        return name

    async def doc_drop_index(self, collection: str, name: str) -> bool:
        await _tick()
        return self._indexes.get(collection, {}).pop(name, None) is not None

    async def doc_list_indexes(self, collection: str) -> list[IndexInfo]:
        await _tick()
        return sorted(self._indexes.get(collection, {}).values(), key=lambda i: i.name)


# ----------------------------------------------------------------------------------------- store
class MemStore(
    _KeyValue,
    _PubSub,
    _Stream,
    _Queues,
    _Lists,
    _Sets,
    _SortedSets,
    _TimeSeries,
    _Graphs,
    _Documents,
):
    """The in-memory reference provider: every interface of the catalog, one object.

    Options are accepted and ignored so the same factory works with any provider block.
    """

    def __init__(self, **options: Any) -> None:
        self.options = dict(options)
        for family in (
            "keyvalue",
            "pubsub",
            "stream",
            "queue",
            "list",
            "set",
            "sortedset",
            "timeseries",
            "graph",
            "document",
        ):
            getattr(self, f"_init_{family}")()

    async def aclose(self) -> None:
        """Nothing to release; present so harnesses can close every provider alike."""
        await _tick()
