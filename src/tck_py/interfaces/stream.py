"""Stream interfaces: basic, consumer groups, replay, retention, partitioning.

Offsets are dense integers from 0 per stream (per partition when partitioned); ``-1`` is the
latest offset of an empty stream. Record timestamps are compared only with other record
timestamps, never with the test machine's clock (a remote server's clock may differ).
"""

from __future__ import annotations

import asyncio
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis.stateful import invariant, rule

from tck_py.interfaces._support import (
    InterfaceSuite,
    ProviderFactory,
    ProviderMachine,
    run_machine,
    unique,
)


def _payloads(records: list[Any]) -> list[bytes]:
    return [bytes(r.payload) for r in records]


class _StreamMachine(ProviderMachine):
    def __init__(self) -> None:
        super().__init__()
        self.stream = unique("sm")
        self.model: list[bytes] = []

    @rule(payload=st.binary(max_size=6))
    def append(self, payload: bytes) -> None:
        offset = self.call(self.provider.stream_append(self.stream, payload))
        assert offset == len(self.model)
        self.model.append(payload)

    @rule(offset=st.integers(0, 12), limit=st.integers(1, 5))
    def read(self, offset: int, limit: int) -> None:
        records = self.call(self.provider.stream_read(self.stream, offset, limit))
        assert [r.offset for r in records] == list(range(offset, len(self.model)))[:limit]
        assert _payloads(records) == self.model[offset : offset + limit]

    @invariant()
    def latest(self) -> None:
        assert self.call(self.provider.stream_latest_offset(self.stream)) == len(self.model) - 1


class BaseTestStreamBasicInterface(InterfaceSuite):
    """stream_basic: stream_append, stream_read, stream_latest_offset."""

    interface = "stream_basic"

    async def test_offsets_are_dense_from_zero(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("s")
        assert await p.stream_latest_offset(s) == -1
        assert [await p.stream_append(s, f"{i}".encode()) for i in range(3)] == [0, 1, 2]
        assert await p.stream_latest_offset(s) == 2

    async def test_read_returns_records_in_order_with_headers(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, s = await provider_factory(), unique("s")
        await p.stream_append(s, b"a", {"h": "1"})
        await p.stream_append(s, b"b")
        records = await p.stream_read(s, 0)
        assert [(r.offset, bytes(r.payload)) for r in records] == [(0, b"a"), (1, b"b")]
        assert dict(records[0].headers) == {"h": "1"}
        assert dict(records[1].headers) == {}
        assert records[0].timestamp <= records[1].timestamp

    async def test_read_from_an_offset_with_a_limit(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, s = await provider_factory(), unique("s")
        for i in range(10):
            await p.stream_append(s, f"{i}".encode())
        assert [r.offset for r in await p.stream_read(s, 4, 3)] == [4, 5, 6]
        assert [r.offset for r in await p.stream_read(s, 8)] == [8, 9]
        assert list(await p.stream_read(s, 10)) == []

    async def test_streams_are_isolated(self, provider_factory: ProviderFactory) -> None:
        p, a, b = await provider_factory(), unique("s"), unique("s")
        await p.stream_append(a, b"x")
        assert list(await p.stream_read(b, 0)) == []
        assert await p.stream_append(b, b"y") == 0

    async def test_binary_payloads_round_trip(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("s")
        payloads = [b"", bytes(range(256)), b"\x00" * 1024]
        for payload in payloads:
            await p.stream_append(s, payload)
        assert _payloads(await p.stream_read(s, 0)) == payloads

    async def test_concurrent_appends_get_unique_dense_offsets(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, s = await provider_factory(), unique("s")
        offsets = await asyncio.gather(*(p.stream_append(s, f"{i}".encode()) for i in range(50)))
        assert sorted(offsets) == list(range(50))
        records = await p.stream_read(s, 0, 100)
        assert sorted(_payloads(records)) == sorted(f"{i}".encode() for i in range(50))
        by_offset = {r.offset: bytes(r.payload) for r in records}
        assert all(by_offset[o] == f"{i}".encode() for i, o in enumerate(offsets))

    async def test_negative_offset_is_rejected(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        with pytest.raises(ValueError):
            await p.stream_read(unique("s"), -1)

    async def test_matches_a_list_model(self, provider_factory: ProviderFactory) -> None:
        await run_machine(_StreamMachine, provider_factory)


class BaseTestStreamConsumerGroupsInterface(InterfaceSuite):
    """stream_consumer_groups: each record goes to one consumer of a group, once."""

    interface = "stream_consumer_groups"

    async def _stream(self, p: Any, count: int) -> str:
        s = unique("s")
        for i in range(count):
            await p.stream_append(s, f"{i}".encode())
        return s

    async def test_create_is_idempotent(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        s = await self._stream(p, 1)
        assert await p.stream_create_group(s, "g") is True
        assert await p.stream_create_group(s, "g") is False

    async def test_consumers_split_the_records(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        s = await self._stream(p, 6)
        await p.stream_create_group(s, "g")
        first = await p.stream_read_group(s, "g", "c1", 4)
        second = await p.stream_read_group(s, "g", "c2", 4)
        assert [r.offset for r in first] == [0, 1, 2, 3]
        assert [r.offset for r in second] == [4, 5]
        assert list(await p.stream_read_group(s, "g", "c1", 4)) == []

    async def test_groups_are_independent(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        s = await self._stream(p, 3)
        await p.stream_create_group(s, "a")
        await p.stream_create_group(s, "b")
        assert len(await p.stream_read_group(s, "a", "c", 10)) == 3
        assert len(await p.stream_read_group(s, "b", "c", 10)) == 3

    async def test_start_offset_skips_history(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        s = await self._stream(p, 3)
        await p.stream_create_group(s, "new", await p.stream_latest_offset(s) + 1)
        assert list(await p.stream_read_group(s, "new", "c", 10)) == []
        await p.stream_append(s, b"fresh")
        assert _payloads(await p.stream_read_group(s, "new", "c", 10)) == [b"fresh"]

    async def test_ack_and_group_info(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        s = await self._stream(p, 4)
        await p.stream_create_group(s, "g")
        await p.stream_read_group(s, "g", "c1", 3)
        info = await p.stream_group_info(s, "g")
        assert (info.pending, info.last_delivered_offset) == (3, 2)
        assert "c1" in info.consumers
        assert await p.stream_ack(s, "g", [0, 1]) == 2
        assert await p.stream_ack(s, "g", [0, 3]) == 0  # 0 already acked, 3 not delivered
        assert (await p.stream_group_info(s, "g")).pending == 1

    async def test_unknown_group_is_a_key_error(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        s = await self._stream(p, 1)
        with pytest.raises(KeyError):
            await p.stream_read_group(s, "nope", "c", 1)
        with pytest.raises(KeyError):
            await p.stream_group_info(s, "nope")

    async def test_concurrent_consumers_see_each_record_once(
        self, provider_factory: ProviderFactory
    ) -> None:
        p = await provider_factory()
        s = await self._stream(p, 60)
        await p.stream_create_group(s, "g")

        async def consume(name: str) -> list[int]:
            seen: list[int] = []
            for _ in range(100):  # 60 records: a bounded loop fails instead of hanging
                batch = await p.stream_read_group(s, "g", name, 3)
                if not batch:
                    return seen
                seen.extend(r.offset for r in batch)
                await asyncio.sleep(0)
            raise AssertionError("the group never runs dry: records are delivered again")

        results = await asyncio.gather(*(consume(f"c{i}") for i in range(4)))
        everything = [o for seen in results for o in seen]
        assert sorted(everything) == list(range(60))


class BaseTestStreamReplayInterface(InterfaceSuite):
    """stream_replay: stream_replay (half-open offset range), stream_offset_for_time."""

    interface = "stream_replay"

    async def test_replay_a_half_open_range(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("s")
        for i in range(6):
            await p.stream_append(s, f"{i}".encode())
        assert [r.offset for r in await p.stream_replay(s, 2, 5)] == [2, 3, 4]
        assert [r.offset for r in await p.stream_replay(s, 4, 100)] == [4, 5]
        assert list(await p.stream_replay(s, 3, 3)) == []
        assert list(await p.stream_replay(s, 5, 2)) == []

    async def test_offset_for_time(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("s")
        for i in range(3):
            await p.stream_append(s, f"{i}".encode())
            await asyncio.sleep(0.02)
        records = await p.stream_read(s, 0)
        assert await p.stream_offset_for_time(s, records[0].timestamp - 3600) == 0
        assert await p.stream_offset_for_time(s, records[1].timestamp) == 1
        midpoint = (records[1].timestamp + records[2].timestamp) / 2
        assert await p.stream_offset_for_time(s, midpoint) == 2
        assert await p.stream_offset_for_time(s, records[2].timestamp + 3600) == 3


class BaseTestStreamRetentionInterface(InterfaceSuite):
    """stream_retention: limits applied by compaction; offsets are never renumbered."""

    interface = "stream_retention"

    async def test_default_is_unlimited(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("s")
        retention = await p.stream_get_retention(s)
        assert (retention.max_age, retention.max_records) == (None, None)
        await p.stream_append(s, b"x")
        assert await p.stream_compact(s) == 0

    async def test_max_records_keeps_the_newest(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("s")
        for i in range(5):
            await p.stream_append(s, f"{i}".encode())
        await p.stream_set_retention(s, max_records=3)
        assert (await p.stream_get_retention(s)).max_records == 3
        assert await p.stream_compact(s) == 2
        assert [r.offset for r in await p.stream_read(s, 0)] == [2, 3, 4]
        assert await p.stream_latest_offset(s) == 4
        assert await p.stream_append(s, b"5") == 5

    async def test_max_age_drops_old_records(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("s")
        await p.stream_append(s, b"old")
        await asyncio.sleep(0.5)
        await p.stream_append(s, b"new")
        await p.stream_set_retention(s, max_age=0.3)
        assert await p.stream_compact(s) == 1
        assert _payloads(await p.stream_read(s, 0)) == [b"new"]

    @pytest.mark.parametrize("limits", [{"max_age": 0}, {"max_records": 0}, {"max_age": -1.0}])
    async def test_invalid_limits_are_rejected(
        self, provider_factory: ProviderFactory, limits: dict[str, float]
    ) -> None:
        p = await provider_factory()
        with pytest.raises(ValueError):
            await p.stream_set_retention(unique("s"), **limits)


class BaseTestStreamPartitioningInterface(InterfaceSuite):
    """stream_partitioning: per-partition logs with their own offsets."""

    interface = "stream_partitioning"

    async def test_partitions_are_listed(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("s")
        assert list(await p.stream_get_partitions(s)) == []
        await p.stream_create_partitions(s, 4)
        assert list(await p.stream_get_partitions(s)) == [0, 1, 2, 3]
        await p.stream_create_partitions(s, 4)  # same count again: no-op
        with pytest.raises(ValueError):
            await p.stream_create_partitions(s, 2)

    async def test_offsets_are_per_partition(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("s")
        await p.stream_create_partitions(s, 2)
        assert await p.stream_append_to_partition(s, 0, b"a") == 0
        assert await p.stream_append_to_partition(s, 1, b"b") == 0
        assert await p.stream_append_to_partition(s, 0, b"c", {"h": "v"}) == 1
        assert _payloads(await p.stream_read_partition(s, 0, 0)) == [b"a", b"c"]
        assert _payloads(await p.stream_read_partition(s, 1, 0)) == [b"b"]
        assert dict((await p.stream_read_partition(s, 0, 1))[0].headers) == {"h": "v"}

    @pytest.mark.parametrize("partition", [3, -1])
    async def test_out_of_range_partition_is_an_index_error(
        self, provider_factory: ProviderFactory, partition: int
    ) -> None:
        p, s = await provider_factory(), unique("s")
        await p.stream_create_partitions(s, 3)
        with pytest.raises(IndexError):
            await p.stream_append_to_partition(s, partition, b"x")
        with pytest.raises(IndexError):
            await p.stream_read_partition(s, partition, 0)

    async def test_concurrent_appends_to_one_partition(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, s = await provider_factory(), unique("s")
        await p.stream_create_partitions(s, 2)
        offsets = await asyncio.gather(
            *(p.stream_append_to_partition(s, 1, f"{i}".encode()) for i in range(30))
        )
        assert sorted(offsets) == list(range(30))
        assert list(await p.stream_read_partition(s, 0, 0)) == []
