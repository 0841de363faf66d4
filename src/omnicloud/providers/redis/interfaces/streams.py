"""stream_basic, _consumer_groups, _replay, _retention and _partitioning on Redis Streams.

Offsets are Redis stream ids: every record is appended with ``XADD <key> 0-*`` (Redis >= 7.0),
so the server numbers records ``0-1, 0-2, ...`` atomically and offset ``n`` is id ``0-(n+1)``:
dense, starting at 0, never renumbered after trimming. Reads are ``XRANGE``, consumer groups
are Redis consumer groups (``XGROUP``, ``XREADGROUP``, ``XACK``, ``XINFO``); record timestamps
come from the server's clock (``TIME``), so every client sees one timeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from omnicloud.providers.redis.interfaces._core import (
    RedisCore,
    must_text,
    positive,
    response_error,
)
from tck_py.interfaces.models import GroupInfo, Retention, StreamRecord

KIND = "stream"
_HEADER = b"h:"

# ARGV: payload, then header field/value pairs. The server's clock stamps the record.
_APPEND = """
local now = redis.call('TIME')
local args = {'XADD', KEYS[1], '0-*', 't', now[1] .. '.' .. string.format('%06d', now[2]),
              'p', ARGV[1]}
for i = 2, #ARGV do args[#args + 1] = ARGV[i] end
return redis.call(unpack(args))
"""

# The id of the first record stamped at or after ARGV[1], or false.
_FIRST_AT = """
local wanted, after = tonumber(ARGV[1]), '-'
while true do
  local batch = redis.call('XRANGE', KEYS[1], after, '+', 'COUNT', 256)
  if #batch == 0 then return false end
  for _, entry in ipairs(batch) do
    local fields = entry[2]
    for i = 1, #fields, 2 do
      if fields[i] == 't' and tonumber(fields[i + 1]) >= wanted then return entry[1] end
    end
  end
  after = '(' .. batch[#batch][1]
end
"""

# KEYS: stream, retention hash. Trims by count (XTRIM MAXLEN), then by age (XDEL of records
# stamped before server time - max_age; stamps only grow along the stream).
_COMPACT = """
local removed = 0
local max_records = redis.call('HGET', KEYS[2], 'max_records')
if max_records then
  removed = removed + redis.call('XTRIM', KEYS[1], 'MAXLEN', '=', max_records)
end
local max_age = redis.call('HGET', KEYS[2], 'max_age')
if not max_age then return removed end
local now = redis.call('TIME')
local cutoff = tonumber(now[1]) + tonumber(now[2]) / 1e6 - tonumber(max_age)
while true do
  local batch = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 256)
  if #batch == 0 then return removed end
  for _, entry in ipairs(batch) do
    local fields, stamp = entry[2], nil
    for i = 1, #fields, 2 do
      if fields[i] == 't' then stamp = tonumber(fields[i + 1]) end
    end
    if stamp == nil or stamp >= cutoff then return removed end
    removed = removed + redis.call('XDEL', KEYS[1], entry[1])
  end
end
"""


def record_id(offset: int) -> str:
    return f"0-{offset + 1}"


def offset_of(stream_id: bytes | str) -> int:
    return int(must_text(stream_id).partition("-")[2]) - 1


def _record(entry: tuple[bytes, dict[bytes, bytes]]) -> StreamRecord:
    stream_id, fields = entry
    headers = {
        must_text(k[len(_HEADER) :]): must_text(v)
        for k, v in fields.items()
        if k.startswith(_HEADER)
    }
    return StreamRecord(
        offset_of(stream_id), fields.get(b"p", b""), headers, float(fields.get(b"t", b"0"))
    )


def _header_args(headers: Mapping[str, str] | None) -> list[str]:
    return [item for k, v in (headers or {}).items() for item in ("h:" + k, v)]


def _not_negative(name: str, value: int) -> None:
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")


def _field(info: Any, name: str) -> Any:
    """A field of an XINFO reply, whether redis-py parsed it into a dict or left a flat list."""
    if isinstance(info, dict):
        return info.get(name, info.get(name.encode()))
    pairs = dict(zip(info[::2], info[1::2], strict=True))
    return pairs.get(name.encode(), pairs.get(name))


class StreamMixin(RedisCore):
    """Append-only logs with dense offsets."""

    def _stream(self, name: str) -> str:
        return self._key(KIND, name)

    async def _append(self, key: str, payload: bytes, headers: Mapping[str, str] | None) -> int:
        args = [bytes(payload), *_header_args(headers)]
        return offset_of(await self._script(_APPEND)(keys=[key], args=args))

    async def _read(self, key: str, offset: int, limit: int) -> list[StreamRecord]:
        _not_negative("offset", offset)
        if limit <= 0:
            return []
        entries = await self._client.xrange(key, record_id(offset), "+", count=limit)
        return [_record(e) for e in entries]

    # stream_basic
    async def stream_append(
        self, stream: str, payload: bytes, headers: Mapping[str, str] | None = None
    ) -> int:
        return await self._append(self._stream(stream), payload, headers)

    async def stream_read(self, stream: str, offset: int, limit: int = 100) -> list[StreamRecord]:
        return await self._read(self._stream(stream), offset, limit)

    async def stream_latest_offset(self, stream: str) -> int:
        try:
            info = await self._client.execute_command("XINFO", "STREAM", self._stream(stream))
        except response_error():  # no such key: an empty stream
            return -1
        return offset_of(_field(info, "last-generated-id"))

    # stream_consumer_groups
    async def stream_create_group(self, stream: str, group: str, start_offset: int = 0) -> bool:
        _not_negative("start_offset", start_offset)
        try:
            await self._client.xgroup_create(
                self._stream(stream), group, id=f"0-{start_offset}", mkstream=True
            )
        except response_error() as error:
            if "BUSYGROUP" in str(error):
                return False
            raise
        return True

    async def stream_read_group(
        self, stream: str, group: str, consumer: str, limit: int = 10
    ) -> list[StreamRecord]:
        positive("limit", limit)
        try:
            reply = await self._client.xreadgroup(
                group, consumer, {self._stream(stream): ">"}, count=limit
            )
        except response_error() as error:
            if "NOGROUP" in str(error):
                raise KeyError(f"no consumer group {group!r} on stream {stream!r}") from None
            raise
        return [_record(e) for _, entries in reply for e in entries]

    async def stream_ack(self, stream: str, group: str, offsets: Sequence[int]) -> int:
        if not offsets:
            return 0
        ids = [record_id(o) for o in offsets if o >= 0]
        return int(await self._client.xack(self._stream(stream), group, *ids)) if ids else 0

    async def stream_group_info(self, stream: str, group: str) -> GroupInfo:
        key = self._stream(stream)
        try:
            groups = await self._client.execute_command("XINFO", "GROUPS", key)
            found = next((g for g in groups if must_text(_field(g, "name")) == group), None)
            if found is None:
                raise KeyError(f"no consumer group {group!r} on stream {stream!r}")
            consumers = await self._client.execute_command("XINFO", "CONSUMERS", key, group)
        except response_error():  # no such key
            raise KeyError(f"no consumer group {group!r} on stream {stream!r}") from None
        return GroupInfo(
            group,
            int(_field(found, "pending")),
            offset_of(_field(found, "last-delivered-id")),
            tuple(sorted(must_text(_field(c, "name")) for c in consumers)),
        )

    # stream_replay
    async def stream_replay(self, stream: str, start: int, end: int) -> list[StreamRecord]:
        _not_negative("start", start)
        if end <= start:
            return []
        entries = await self._client.xrange(
            self._stream(stream), record_id(start), record_id(end - 1)
        )
        return [_record(e) for e in entries]

    async def stream_offset_for_time(self, stream: str, timestamp: float) -> int:
        found = await self._script(_FIRST_AT)(keys=[self._stream(stream)], args=[repr(timestamp)])
        if found is None:
            return await self.stream_latest_offset(stream) + 1
        return offset_of(found)

    # stream_retention
    def _retention_key(self, stream: str) -> str:
        return self._key("stream-retention", stream)

    async def stream_set_retention(
        self, stream: str, max_age: float | None = None, max_records: int | None = None
    ) -> None:
        positive("max_age", max_age)
        positive("max_records", max_records)
        key = self._retention_key(stream)
        limits = {"max_age": max_age, "max_records": max_records}
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            kept = {name: repr(value) for name, value in limits.items() if value is not None}
            if kept:
                pipe.hset(key, mapping=kept)
            await pipe.execute()

    async def stream_get_retention(self, stream: str) -> Retention:
        stored = await self._client.hgetall(self._retention_key(stream))
        max_age, max_records = stored.get(b"max_age"), stored.get(b"max_records")
        return Retention(
            None if max_age is None else float(max_age),
            None if max_records is None else int(max_records),
        )

    async def stream_compact(self, stream: str) -> int:
        keys = [self._stream(stream), self._retention_key(stream)]
        return int(await self._script(_COMPACT)(keys=keys, args=[]))

    # stream_partitioning
    def _partitions_key(self, stream: str) -> str:
        return self._key("stream-partitions", stream)

    def _partition(self, stream: str, partition: int) -> str:
        # "<n>:" first: no (stream, partition) pair can spell another's key
        return self._key("stream-partition", f"{partition}:{stream}")

    async def stream_create_partitions(self, stream: str, count: int) -> None:
        positive("count", count)
        before = await self._client.set(self._partitions_key(stream), count, nx=True, get=True)
        if before is not None and int(before) != count:
            raise ValueError(f"stream {stream!r} already has {int(before)} partitions, not {count}")

    async def stream_get_partitions(self, stream: str) -> list[int]:
        count = await self._client.get(self._partitions_key(stream))
        return list(range(int(count))) if count is not None else []

    async def _partition_key(self, stream: str, partition: int) -> str:
        count = await self._client.get(self._partitions_key(stream))
        if count is None or not 0 <= partition < int(count):
            raise IndexError(f"stream {stream!r} has no partition {partition}")
        return self._partition(stream, partition)

    async def stream_append_to_partition(
        self,
        stream: str,
        partition: int,
        payload: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> int:
        return await self._append(await self._partition_key(stream, partition), payload, headers)

    async def stream_read_partition(
        self, stream: str, partition: int, offset: int, limit: int = 100
    ) -> list[StreamRecord]:
        return await self._read(await self._partition_key(stream, partition), offset, limit)
