"""stream_basic, _consumer_groups, _replay, _retention, _partitioning on tables.

Offsets come from a per-stream (per-partition) counter row bumped by the same statement that
inserts the record (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` feeding the insert), so
concurrent appenders on any connection get dense, unique offsets; compaction deletes records
but never touches the counter, so offsets are never reused. A consumer group is a cursor row
read ``FOR UPDATE``: each record goes to one consumer, and stays pending until acknowledged.
Unpartitioned streams are partition ``-1``. Record timestamps are the server's clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from omnicloud.providers.postgres._client import psycopg_module
from omnicloud.providers.postgres.interfaces._core import NOW, StoreCore, positive
from tck_py.interfaces.models import GroupInfo, Retention, StreamRecord

DDL = (
    "CREATE TABLE IF NOT EXISTS ocs_stream (ns text NOT NULL, stream text NOT NULL,"
    " part integer NOT NULL, off bigint NOT NULL, payload bytea NOT NULL,"
    " headers jsonb NOT NULL, ts float8 NOT NULL, PRIMARY KEY (ns, stream, part, off))",
    "CREATE TABLE IF NOT EXISTS ocs_stream_head (ns text NOT NULL, stream text NOT NULL,"
    " part integer NOT NULL, next bigint NOT NULL, PRIMARY KEY (ns, stream, part))",
    "CREATE TABLE IF NOT EXISTS ocs_stream_group (ns text NOT NULL, stream text NOT NULL,"
    " grp text NOT NULL, cursor bigint NOT NULL, PRIMARY KEY (ns, stream, grp))",
    "CREATE TABLE IF NOT EXISTS ocs_stream_pending (ns text NOT NULL, stream text NOT NULL,"
    " grp text NOT NULL, off bigint NOT NULL, consumer text NOT NULL,"
    " PRIMARY KEY (ns, stream, grp, off))",
    "CREATE TABLE IF NOT EXISTS ocs_stream_consumer (ns text NOT NULL, stream text NOT NULL,"
    " grp text NOT NULL, consumer text NOT NULL, PRIMARY KEY (ns, stream, grp, consumer))",
    "CREATE TABLE IF NOT EXISTS ocs_stream_retention (ns text NOT NULL, stream text NOT NULL,"
    " max_age float8, max_records bigint, PRIMARY KEY (ns, stream))",
    "CREATE TABLE IF NOT EXISTS ocs_stream_partitions (ns text NOT NULL, stream text NOT NULL,"
    " count integer NOT NULL, PRIMARY KEY (ns, stream))",
)
TABLES = (
    "ocs_stream",
    "ocs_stream_head",
    "ocs_stream_group",
    "ocs_stream_pending",
    "ocs_stream_consumer",
    "ocs_stream_retention",
    "ocs_stream_partitions",
)

UNPARTITIONED = -1
_APPEND = (
    "WITH head AS (INSERT INTO ocs_stream_head VALUES (%s, %s, %s, 1)"
    " ON CONFLICT (ns, stream, part) DO UPDATE SET next = ocs_stream_head.next + 1"
    " RETURNING next - 1 AS off)"
    f" INSERT INTO ocs_stream SELECT %s, %s, %s, off, %s, %s, {NOW} FROM head RETURNING off"
)
_RECORDS = "SELECT off, payload, headers, ts FROM ocs_stream WHERE ns = %s AND stream = %s"


def _record(row: Any) -> StreamRecord:
    return StreamRecord(int(row[0]), bytes(row[1]), dict(row[2]), float(row[3]))


class StreamMixin(StoreCore):
    async def _append(
        self, stream: str, part: int, payload: bytes, headers: Mapping[str, str] | None
    ) -> int:
        jsonb = psycopg_module().types.json.Jsonb
        row = await self._fetchone(
            _APPEND,
            (
                *(self._ns, stream, part),
                *(self._ns, stream, part),
                bytes(payload),
                jsonb(dict(headers or {})),
            ),
        )
        return int(row[0])

    async def _read(self, stream: str, part: int, offset: int, limit: int) -> list[StreamRecord]:
        if offset < 0:
            raise ValueError(f"offset must be >= 0, got {offset!r}")
        rows = await self._fetchall(
            f"{_RECORDS} AND part = %s AND off >= %s ORDER BY off LIMIT %s",
            (self._ns, stream, part, offset, limit),
        )
        return [_record(row) for row in rows]

    async def stream_append(
        self, stream: str, payload: bytes, headers: Mapping[str, str] | None = None
    ) -> int:
        return await self._append(stream, UNPARTITIONED, payload, headers)

    async def stream_read(self, stream: str, offset: int, limit: int = 100) -> list[StreamRecord]:
        return await self._read(stream, UNPARTITIONED, offset, limit)

    async def stream_latest_offset(self, stream: str) -> int:
        row = await self._fetchone(
            "SELECT next - 1 FROM ocs_stream_head WHERE ns = %s AND stream = %s AND part = %s",
            (self._ns, stream, UNPARTITIONED),
        )
        return -1 if row is None else int(row[0])

    # ------------------------------------------------------------------- consumer groups
    async def stream_create_group(self, stream: str, group: str, start_offset: int = 0) -> bool:
        created = await self._execute(
            "INSERT INTO ocs_stream_group VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (self._ns, stream, group, start_offset),
        )
        return created == 1

    async def stream_read_group(
        self, stream: str, group: str, consumer: str, limit: int = 10
    ) -> list[StreamRecord]:
        key = (self._ns, stream, group)
        async with self._transaction() as conn:
            cur = await conn.execute(
                "SELECT cursor FROM ocs_stream_group WHERE ns = %s AND stream = %s AND grp = %s"
                " FOR UPDATE",
                key,
            )
            row = await cur.fetchone()
            if row is None:
                raise KeyError(f"stream {stream!r} has no consumer group {group!r}")
            cur = await conn.execute(
                f"{_RECORDS} AND part = %s AND off >= %s ORDER BY off LIMIT %s",
                (self._ns, stream, UNPARTITIONED, row[0], limit),
            )
            records = [_record(r) for r in await cur.fetchall()]
            await conn.execute(
                "INSERT INTO ocs_stream_consumer VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (*key, consumer),
            )
            if records:
                await conn.execute(
                    "INSERT INTO ocs_stream_pending SELECT %s, %s, %s, off, %s"
                    " FROM unnest(%s::bigint[]) AS off ON CONFLICT DO NOTHING",
                    (*key, consumer, [r.offset for r in records]),
                )
                await conn.execute(
                    "UPDATE ocs_stream_group SET cursor = %s WHERE ns = %s AND stream = %s"
                    " AND grp = %s",
                    (records[-1].offset + 1, *key),
                )
            return records

    async def stream_ack(self, stream: str, group: str, offsets: Sequence[int]) -> int:
        return await self._execute(
            "DELETE FROM ocs_stream_pending WHERE ns = %s AND stream = %s AND grp = %s"
            " AND off = ANY(%s)",
            (self._ns, stream, group, list(offsets)),
        )

    async def stream_group_info(self, stream: str, group: str) -> GroupInfo:
        key = (self._ns, stream, group)
        row = await self._fetchone(
            "SELECT cursor, (SELECT count(*) FROM ocs_stream_pending p WHERE p.ns = g.ns"
            " AND p.stream = g.stream AND p.grp = g.grp), (SELECT coalesce(array_agg(consumer"
            ' ORDER BY consumer COLLATE "C"), ARRAY[]::text[]) FROM ocs_stream_consumer c'
            " WHERE c.ns = g.ns AND c.stream = g.stream AND c.grp = g.grp)"
            " FROM ocs_stream_group g WHERE ns = %s AND stream = %s AND grp = %s",
            key,
        )
        if row is None:
            raise KeyError(f"stream {stream!r} has no consumer group {group!r}")
        return GroupInfo(group, int(row[1]), int(row[0]) - 1, tuple(row[2]))

    # ---------------------------------------------------------------------------- replay
    async def stream_replay(self, stream: str, start: int, end: int) -> list[StreamRecord]:
        rows = await self._fetchall(
            f"{_RECORDS} AND part = %s AND off >= %s AND off < %s ORDER BY off",
            (self._ns, stream, UNPARTITIONED, start, end),
        )
        return [_record(row) for row in rows]

    async def stream_offset_for_time(self, stream: str, timestamp: float) -> int:
        row = await self._fetchone(
            "SELECT min(off) FROM ocs_stream WHERE ns = %s AND stream = %s AND part = %s"
            " AND ts >= %s",
            (self._ns, stream, UNPARTITIONED, float(timestamp)),
        )
        if row[0] is not None:
            return int(row[0])
        return await self.stream_latest_offset(stream) + 1

    # ------------------------------------------------------------------------- retention
    async def stream_set_retention(
        self, stream: str, max_age: float | None = None, max_records: int | None = None
    ) -> None:
        positive("max_age", max_age)
        positive("max_records", max_records)
        await self._execute(
            "INSERT INTO ocs_stream_retention VALUES (%s, %s, %s, %s) ON CONFLICT (ns, stream)"
            " DO UPDATE SET max_age = EXCLUDED.max_age, max_records = EXCLUDED.max_records",
            (self._ns, stream, max_age, max_records),
        )

    async def stream_get_retention(self, stream: str) -> Retention:
        row = await self._fetchone(
            "SELECT max_age, max_records FROM ocs_stream_retention WHERE ns = %s AND stream = %s",
            (self._ns, stream),
        )
        if row is None:
            return Retention()
        return Retention(
            None if row[0] is None else float(row[0]), None if row[1] is None else int(row[1])
        )

    async def stream_compact(self, stream: str) -> int:
        return await self._execute(
            "DELETE FROM ocs_stream s USING ocs_stream_retention r, ocs_stream_head h"
            " WHERE s.ns = %s AND s.stream = %s AND s.part = %s AND r.ns = s.ns"
            " AND r.stream = s.stream AND h.ns = s.ns AND h.stream = s.stream"
            f" AND h.part = s.part AND (s.ts < {NOW} - r.max_age"
            " OR s.off < h.next - r.max_records)",
            (self._ns, stream, UNPARTITIONED),
        )

    # ---------------------------------------------------------------------- partitioning
    async def stream_create_partitions(self, stream: str, count: int) -> None:
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count!r}")
        await self._execute(
            "INSERT INTO ocs_stream_partitions VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            (self._ns, stream, count),
        )
        existing = await self._partition_count(stream)
        if existing != count:
            raise ValueError(f"stream {stream!r} already has {existing} partitions")

    async def _partition_count(self, stream: str) -> int:
        row = await self._fetchone(
            "SELECT count FROM ocs_stream_partitions WHERE ns = %s AND stream = %s",
            (self._ns, stream),
        )
        return 0 if row is None else int(row[0])

    async def _check_partition(self, stream: str, partition: int) -> None:
        count = await self._partition_count(stream)
        if not 0 <= partition < count:
            raise IndexError(f"stream {stream!r} has partitions 0..{count - 1}, not {partition}")

    async def stream_get_partitions(self, stream: str) -> list[int]:
        return list(range(await self._partition_count(stream)))

    async def stream_append_to_partition(
        self,
        stream: str,
        partition: int,
        payload: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> int:
        await self._check_partition(stream, partition)
        return await self._append(stream, partition, payload, headers)

    async def stream_read_partition(
        self, stream: str, partition: int, offset: int, limit: int = 100
    ) -> list[StreamRecord]:
        await self._check_partition(stream, partition)
        return await self._read(stream, partition, offset, limit)
