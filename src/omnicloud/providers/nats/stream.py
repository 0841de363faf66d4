"""Streams on JetStream: basic, consumer groups, replay, retention, partitioning.

Each logical stream is one JetStream stream (``<ns>-s-<name>``, subject ``<ns>.s.<name>``);
an offset is the JetStream sequence minus one, so offsets are dense, never renumbered by
purges, and unique under concurrent appends (the server assigns them). A consumer group is a
durable pull consumer with explicit acks; its members' names, the retention limits and the
partition counts live in the instance's metadata stream (one message per subject).

Retention follows the interface, not JetStream's limits: ``stream_set_retention`` records the
limits and ``stream_compact`` applies them by purging (``keep`` for ``max_records``, a sequence
cut for ``max_age``). The age cut compares the server's record timestamps with this client's
clock; with a remote server, keep clocks in sync.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from omnicloud.providers.nats._base import (
    JetStreamError,
    NatsBase,
    StoredMessage,
    decode_metadata,
    encode_headers,
    token,
)
from tck_py.interfaces.models import GroupInfo, Retention, StreamRecord

#: Seconds before JetStream hands an unacknowledged group record to another member. The
#: interface keeps a delivered record with its consumer until acknowledged, so this is long.
DEFAULT_GROUP_ACK_WAIT = 3600.0
#: JetStream's "wrong last sequence" answer to an optimistic-concurrency publish.
WRONG_LAST_SEQUENCE = 10071


def _positive(name: str, value: float | None) -> None:
    if value is not None and (isinstance(value, bool) or value <= 0):
        raise ValueError(f"{name} must be > 0, got {value!r}")


def _record(message: StoredMessage) -> StreamRecord:
    return StreamRecord(
        message.seq - 1, message.data, decode_metadata(message.headers), message.time
    )


class NatsStreams(NatsBase):
    """The ``stream_*`` interfaces (see the module docstring)."""

    def __init__(self, nc: Any, prefix: str = "", storage: str = "file", **options: Any) -> None:
        super().__init__(nc, prefix, storage, **options)
        self._group_ack_wait = float(options.get("group_ack_wait", DEFAULT_GROUP_ACK_WAIT))
        self._groups: set[tuple[str, str]] = set()
        self._members: set[tuple[str, str, str]] = set()
        self._inflight: dict[tuple[str, str], dict[int, str]] = {}
        self._partition_counts: dict[str, int] = {}

    # -- names ----------------------------------------------------------------------------------
    def _log(self, stream: str) -> tuple[str, str]:
        """JetStream stream name and subject of logical stream ``stream``."""
        return self._stream_name("s", stream), f"{self._ns}.s.{token(stream)}"

    def _partition_log(self, stream: str, partition: int) -> tuple[str, str]:
        name = self._stream_name("p", stream) + f"-{partition}"
        return name, f"{self._ns}.p.{token(stream)}.{partition}"

    def _meta_subject(self, kind: str, *names: str) -> str:
        return ".".join([self._ns, "meta", kind, *(token(n) for n in names)])

    # -- the metadata stream --------------------------------------------------------------------
    async def _meta_put(
        self, subject: str, value: Any, expected_subject_seq: int | None = None
    ) -> int:
        await self._ensure_stream(
            f"{self._ns}-meta", [f"{self._ns}.meta.>"], max_msgs_per_subject=1
        )
        payload = json.dumps(value).encode()
        return await self._publish(subject, payload, {}, expected_subject_seq)

    async def _meta_get(self, subject: str) -> Any:
        if await self._stream_state(f"{self._ns}-meta") is None:
            return None
        found = await self._get(f"{self._ns}-meta", {"last_by_subj": subject})
        return None if found is None else json.loads(found.data)

    # -- reading --------------------------------------------------------------------------------
    async def _read(
        self, log: tuple[str, str], first: int, stop: int | None, limit: int | None
    ) -> list[StreamRecord]:
        """Records with offsets in [first, stop), at most ``limit``."""
        name, subject = log
        state = await self._stream_state(name)
        if state is None:
            return []
        last = int(state["last_seq"]) if stop is None else min(int(state["last_seq"]), stop)
        records: list[StreamRecord] = []
        seq = max(first + 1, int(state["first_seq"]))
        while seq <= last and (limit is None or len(records) < limit):
            found = await self._get(name, {"seq": seq, "next_by_subj": subject})
            if found is None or found.seq > last:
                break
            records.append(_record(found))
            seq = found.seq + 1
        return records

    async def _append(
        self, log: tuple[str, str], payload: bytes, headers: Mapping[str, str] | None
    ) -> int:
        name, subject = log
        await self._ensure_stream(name, [subject])
        return await self._publish(subject, payload, encode_headers(headers)) - 1

    # -- stream_basic ---------------------------------------------------------------------------
    async def stream_append(
        self, stream: str, payload: bytes, headers: Mapping[str, str] | None = None
    ) -> int:
        return await self._append(self._log(stream), payload, headers)

    async def stream_read(self, stream: str, offset: int, limit: int = 100) -> list[StreamRecord]:
        if offset < 0:
            raise ValueError(f"offset must be >= 0, got {offset}")
        _positive("limit", limit)
        return await self._read(self._log(stream), offset, None, limit)

    async def stream_latest_offset(self, stream: str) -> int:
        state = await self._stream_state(self._log(stream)[0])
        return -1 if state is None else int(state["last_seq"]) - 1

    # -- stream_replay --------------------------------------------------------------------------
    async def stream_replay(self, stream: str, start: int, end: int) -> list[StreamRecord]:
        if end <= start:
            return []
        return await self._read(self._log(stream), max(start, 0), end, None)

    async def stream_offset_for_time(self, stream: str, timestamp: float) -> int:
        """Binary search over the stored records' (server) timestamps."""
        name, subject = self._log(stream)
        state = await self._stream_state(name)
        if state is None:
            return 0
        low, high = int(state["first_seq"]), int(state["last_seq"]) + 1
        while low < high:
            middle = (low + high) // 2
            found = await self._get(name, {"seq": middle, "next_by_subj": subject})
            if found is None or found.time >= timestamp:
                high = middle
            else:
                low = found.seq + 1
        return low - 1  # purges only cut the front, so [first_seq, last_seq] has no gaps

    # -- stream_retention -----------------------------------------------------------------------
    async def stream_set_retention(
        self, stream: str, max_age: float | None = None, max_records: int | None = None
    ) -> None:
        _positive("max_age", max_age)
        _positive("max_records", max_records)
        limits = {"max_age": max_age, "max_records": max_records}
        await self._meta_put(self._meta_subject("retention", stream), limits)

    async def stream_get_retention(self, stream: str) -> Retention:
        limits = await self._meta_get(self._meta_subject("retention", stream)) or {}
        return Retention(limits.get("max_age"), limits.get("max_records"))

    async def stream_compact(self, stream: str) -> int:
        retention = await self.stream_get_retention(stream)
        name, _ = self._log(stream)
        removed = 0
        if retention.max_age is not None:
            keep_from = await self.stream_offset_for_time(stream, time.time() - retention.max_age)
            removed += await self._purge(name, {"seq": keep_from + 1})
        if retention.max_records is not None:
            removed += await self._purge(name, {"keep": retention.max_records})
        return removed

    async def _purge(self, name: str, request: Mapping[str, Any]) -> int:
        answer = await self._api(f"STREAM.PURGE.{name}", request)
        if "error" in answer:
            if answer["error"].get("code") == 404:
                return 0
            raise JetStreamError(answer["error"])
        return int(answer.get("purged", 0))

    # -- stream_consumer_groups -----------------------------------------------------------------
    def _consumer(self, group: str) -> str:
        return f"g-{token(group)}"

    async def stream_create_group(self, stream: str, group: str, start_offset: int = 0) -> bool:
        if start_offset < 0:
            raise ValueError(f"start_offset must be >= 0, got {start_offset}")
        name, subject = self._log(stream)
        await self._ensure_stream(name, [subject])
        if await self._group_exists(name, group):
            return False
        policy: dict[str, Any] = {"deliver_policy": "all"}
        if start_offset > 0:
            policy = {"deliver_policy": "by_start_sequence", "opt_start_seq": start_offset + 1}
        config = {
            "durable_name": self._consumer(group),
            "ack_policy": "explicit",
            "ack_wait": int(self._group_ack_wait * 1e9),
            "max_ack_pending": 1_000_000,
            **policy,
        }
        consumer = self._consumer(group)
        answer = await self._api(
            f"CONSUMER.DURABLE.CREATE.{name}.{consumer}", {"stream_name": name, "config": config}
        )
        if "error" in answer:
            raise JetStreamError(answer["error"])
        self._groups.add((stream, group))
        return True

    async def _group_exists(self, name: str, group: str) -> bool:
        answer = await self._api(f"CONSUMER.INFO.{name}.{self._consumer(group)}")
        if "error" not in answer:
            return True
        if answer["error"].get("code") == 404:
            return False
        raise JetStreamError(answer["error"])

    async def _require_group(self, stream: str, group: str) -> None:
        if (stream, group) in self._groups:
            return
        if not await self._group_exists(self._log(stream)[0], group):
            raise KeyError(f"no consumer group {group!r} on stream {stream!r}")
        self._groups.add((stream, group))

    async def stream_read_group(
        self, stream: str, group: str, consumer: str, limit: int = 10
    ) -> list[StreamRecord]:
        _positive("limit", limit)
        await self._require_group(stream, group)
        await self._add_member(stream, group, consumer)
        messages = await self._pull(self._log(stream)[0], self._consumer(group), limit)
        inflight = self._inflight.setdefault((stream, group), {})
        records = []
        for msg in messages:
            offset = int(msg.metadata.sequence.stream) - 1
            inflight[offset] = msg.reply
            stamp = msg.metadata.timestamp.timestamp()  # the server's, as in stream_read
            records.append(
                StreamRecord(offset, bytes(msg.data), decode_metadata(msg.headers), stamp)
            )
        return records

    async def _add_member(self, stream: str, group: str, consumer: str) -> None:
        if (stream, group, consumer) in self._members:
            return
        await self._meta_put(self._meta_subject("member", stream, group, consumer), consumer)
        self._members.add((stream, group, consumer))

    async def stream_ack(self, stream: str, group: str, offsets: Sequence[int]) -> int:
        await self._require_group(stream, group)
        inflight = self._inflight.get((stream, group), {})
        acked = 0
        for offset in set(offsets):
            reply = inflight.pop(offset, None)
            if reply is not None:
                await self._ack(reply)
                acked += 1
        return acked

    async def stream_group_info(self, stream: str, group: str) -> GroupInfo:
        await self._require_group(stream, group)
        name = self._log(stream)[0]
        answer = await self._api(f"CONSUMER.INFO.{name}.{self._consumer(group)}")
        if "error" in answer:
            raise KeyError(f"no consumer group {group!r} on stream {stream!r}")
        return GroupInfo(
            group,
            int(answer["num_ack_pending"]),
            int(answer["delivered"]["stream_seq"]) - 1,
            tuple(sorted(await self._member_names(stream, group))),
        )

    async def _member_names(self, stream: str, group: str) -> list[str]:
        meta = f"{self._ns}-meta"
        filter_subject = self._meta_subject("member", stream, group) + ".*"
        answer = await self._api(f"STREAM.INFO.{meta}", {"subjects_filter": filter_subject})
        subjects = (answer.get("state") or {}).get("subjects") or {}
        names = []
        for subject in subjects:
            found = await self._get(meta, {"last_by_subj": subject})
            if found is not None:
                names.append(str(json.loads(found.data)))
        return names

    # -- stream_partitioning --------------------------------------------------------------------
    async def stream_create_partitions(self, stream: str, count: int) -> None:
        _positive("count", count)
        subject = self._meta_subject("partitions", stream)
        try:
            await self._meta_put(subject, count, expected_subject_seq=0)
        except JetStreamError as exc:
            if exc.err_code != WRONG_LAST_SEQUENCE:
                raise
            existing = await self._partition_count(stream)
            if existing != count:
                raise ValueError(
                    f"stream {stream!r} already has {existing} partitions, not {count}"
                ) from None
            return
        self._partition_counts[stream] = count
        for partition in range(count):
            name, part_subject = self._partition_log(stream, partition)
            await self._ensure_stream(name, [part_subject])

    async def _partition_count(self, stream: str) -> int:
        if stream not in self._partition_counts:
            count = await self._meta_get(self._meta_subject("partitions", stream))
            if count is None:
                return 0
            self._partition_counts[stream] = int(count)  # fixed once created: safe to cache
        return self._partition_counts[stream]

    async def _partition(self, stream: str, partition: int) -> tuple[str, str]:
        count = await self._partition_count(stream)
        if count == 0:
            raise KeyError(f"stream {stream!r} is not partitioned")
        if not 0 <= partition < count:
            raise IndexError(f"partition {partition} out of range 0..{count - 1}")
        return self._partition_log(stream, partition)

    async def stream_get_partitions(self, stream: str) -> list[int]:
        return list(range(await self._partition_count(stream)))

    async def stream_append_to_partition(
        self, stream: str, partition: int, payload: bytes, headers: Mapping[str, str] | None = None
    ) -> int:
        return await self._append(await self._partition(stream, partition), payload, headers)

    async def stream_read_partition(
        self, stream: str, partition: int, offset: int, limit: int = 100
    ) -> list[StreamRecord]:
        if offset < 0:
            raise ValueError(f"offset must be >= 0, got {offset}")
        _positive("limit", limit)
        return await self._read(await self._partition(stream, partition), offset, None, limit)


__all__ = ["NatsStreams"]
