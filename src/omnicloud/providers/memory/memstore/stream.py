"""MemStore's stream family (stream_: append-only logs, consumer groups, partitions)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from omnicloud.providers.memory.memstore.common import positive, tick
from tck_py.interfaces.models import GroupInfo, Retention, StreamRecord


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
        positive("limit", limit)
        return [r for r in self.records if r.offset >= offset][:limit]


class StreamFamily:
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
        await tick()
        return self._stream(stream).append(payload, headers)

    async def stream_read(self, stream: str, offset: int, limit: int = 100) -> list[StreamRecord]:
        await tick()
        return self._stream(stream).read(offset, limit)

    async def stream_latest_offset(self, stream: str) -> int:
        await tick()
        return self._stream(stream).next_offset - 1

    async def stream_create_group(self, stream: str, group: str, start_offset: int = 0) -> bool:
        await tick()
        groups = self._stream(stream).groups
        if group in groups:
            return False
        groups[group] = _Group(start_offset)
        return True

    async def stream_read_group(
        self, stream: str, group: str, consumer: str, limit: int = 10
    ) -> list[StreamRecord]:
        await tick()
        state = self._group(stream, group)
        records = self._stream(stream).read(state.cursor, limit)
        state.consumers.add(consumer)
        for record in records:
            state.pending[record.offset] = consumer
            state.cursor = record.offset + 1
        return records

    async def stream_ack(self, stream: str, group: str, offsets: Sequence[int]) -> int:
        await tick()
        state = self._group(stream, group)
        return sum(state.pending.pop(o, None) is not None for o in set(offsets))

    async def stream_group_info(self, stream: str, group: str) -> GroupInfo:
        await tick()
        state = self._group(stream, group)
        return GroupInfo(
            group, len(state.pending), state.cursor - 1, tuple(sorted(state.consumers))
        )

    async def stream_replay(self, stream: str, start: int, end: int) -> list[StreamRecord]:
        await tick()
        return [r for r in self._stream(stream).records if start <= r.offset < end]

    async def stream_offset_for_time(self, stream: str, timestamp: float) -> int:
        await tick()
        log = self._stream(stream)
        return next((r.offset for r in log.records if r.timestamp >= timestamp), log.next_offset)

    async def stream_set_retention(
        self, stream: str, max_age: float | None = None, max_records: int | None = None
    ) -> None:
        positive("max_age", max_age)
        positive("max_records", max_records)
        await tick()
        self._stream(stream).retention = Retention(max_age, max_records)

    async def stream_get_retention(self, stream: str) -> Retention:
        await tick()
        return self._stream(stream).retention

    async def stream_compact(self, stream: str) -> int:
        await tick()
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
        positive("count", count)
        await tick()
        existing = self._partitions.get(stream)
        if existing is not None and len(existing) != count:
            raise ValueError(f"stream {stream!r} already has {len(existing)} partitions")
        self._partitions.setdefault(stream, [_Log() for _ in range(count)])

    async def stream_get_partitions(self, stream: str) -> list[int]:
        await tick()
        return list(range(len(self._partitions.get(stream, []))))

    async def stream_append_to_partition(
        self, stream: str, partition: int, payload: bytes, headers: Mapping[str, str] | None = None
    ) -> int:
        await tick()
        return self._partition(stream, partition).append(payload, headers)

    async def stream_read_partition(
        self, stream: str, partition: int, offset: int, limit: int = 100
    ) -> list[StreamRecord]:
        await tick()
        return self._partition(stream, partition).read(offset, limit)
