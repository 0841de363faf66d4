"""Transactional outbox storage contract.

Fixture ``provider_factory`` (sync) returns an async callable; ``await provider_factory()`` must
give an EMPTY store every time (tests assert absolute counts). Provider methods, all async:

* ``save_event(event: OutboxEvent)``;
* ``get_pending_unordered_events(limit=n)``: at most ``n`` pending records whose event had no
  ``aggregate_key``; records support ``["payload"]`` and ``["destination_topic"]``;
* ``get_pending_events_for_aggregate(aggregate_key)``: that aggregate's pending records ordered by
  ``["sequence_id"]``, which starts at 1 and grows by 1 per saved event of the aggregate (gap-free
  and unique even when events are saved concurrently; processing never reuses a number);
* ``get_pending_aggregate_keys()``: the distinct aggregate keys that still have pending events;
* ``mark_as_processed(record)``: takes a record as returned above; idempotent.

Timing assumptions: none (no test sleeps). The stateful test runs a bounded, deterministic
hypothesis state machine (see ``tck_py.resilience._stateful``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from tck_py.resilience._stateful import AsyncStateMachine, run_machine
from tck_py.shared.models import OutboxEvent

ProviderFactory = Callable[..., Awaitable[Any]]


def _topic() -> str:
    return f"tck-outbox-topic-{uuid.uuid4()}"


def _aggregate() -> str:
    return f"tck-aggregate-{uuid.uuid4()}"


async def _sequence_ids(provider: Any, aggregate_key: str) -> list[int]:
    return [
        r["sequence_id"] for r in await provider.get_pending_events_for_aggregate(aggregate_key)
    ]


@pytest.mark.asyncio
class BaseTestOutboxStorageContract:
    """The transactional outbox storage contract. Subclass it and override ``provider_factory``."""

    @pytest.fixture
    def provider_factory(self) -> ProviderFactory:
        raise NotImplementedError(
            "override the 'provider_factory' fixture in your test class: it must return an async"
            " callable that creates an EMPTY outbox store"
        )

    # -- upstream tck_py 0.1 tests -------------------------------------------------------------

    async def test_save_and_retrieve_unordered_event(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        topic = _topic()
        await provider.save_event(OutboxEvent(destination_topic=topic, payload=b"unordered"))
        pending = await provider.get_pending_unordered_events(limit=10)
        assert len(pending) == 1
        assert pending[0]["payload"] == b"unordered"
        assert pending[0]["destination_topic"] == topic

    async def test_mark_as_processed_removes_from_pending(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        await provider.save_event(OutboxEvent(destination_topic=_topic(), payload=b"once"))
        (record,) = await provider.get_pending_unordered_events(limit=10)
        await provider.mark_as_processed(record)
        assert await provider.get_pending_unordered_events(limit=10) == []

    async def test_sequential_id_generation_for_ordered_events(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        aggregate = _aggregate()
        for i in range(3):
            await provider.save_event(
                OutboxEvent(_topic(), f"event-{i}".encode(), aggregate_key=aggregate)
            )
        records = await provider.get_pending_events_for_aggregate(aggregate)
        assert [r["sequence_id"] for r in records] == [1, 2, 3]
        assert [r["payload"] for r in records] == [b"event-0", b"event-1", b"event-2"]

    async def test_sequence_ids_are_independent_per_aggregate(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        first, second = _aggregate(), _aggregate()
        for aggregate in (first, second, first):
            await provider.save_event(OutboxEvent(_topic(), b"e", aggregate_key=aggregate))
        assert await _sequence_ids(provider, first) == [1, 2]
        assert await _sequence_ids(provider, second) == [1]

    async def test_get_pending_aggregate_keys(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        first, second = _aggregate(), _aggregate()
        await provider.save_event(OutboxEvent(_topic(), b"a", aggregate_key=first))
        await provider.save_event(OutboxEvent(_topic(), b"b", aggregate_key=second))
        await provider.save_event(OutboxEvent(_topic(), b"unordered"))
        keys = await provider.get_pending_aggregate_keys()
        assert len(keys) == 2
        assert set(keys) == {first, second}

    async def test_mark_as_processed_is_idempotent(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        await provider.save_event(OutboxEvent(_topic(), b"twice"))
        (record,) = await provider.get_pending_unordered_events(limit=1)
        await provider.mark_as_processed(record)
        await provider.mark_as_processed(record)
        assert await provider.get_pending_unordered_events(limit=10) == []

    # -- stricter guarantees ---------------------------------------------------------------------

    async def test_limit_is_honoured(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        for i in range(5):
            await provider.save_event(OutboxEvent(_topic(), f"event-{i}".encode()))
        assert len(await provider.get_pending_unordered_events(limit=2)) == 2
        assert len(await provider.get_pending_unordered_events(limit=10)) == 5

    async def test_processed_aggregate_leaves_pending_keys(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        done, busy = _aggregate(), _aggregate()
        await provider.save_event(OutboxEvent(_topic(), b"done", aggregate_key=done))
        await provider.save_event(OutboxEvent(_topic(), b"busy", aggregate_key=busy))
        for record in await provider.get_pending_events_for_aggregate(done):
            await provider.mark_as_processed(record)
        assert set(await provider.get_pending_aggregate_keys()) == {busy}
        assert await provider.get_pending_events_for_aggregate(done) == []

    async def test_pending_aggregate_keys_are_distinct(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        aggregate = _aggregate()
        for i in range(3):
            await provider.save_event(
                OutboxEvent(_topic(), f"e{i}".encode(), aggregate_key=aggregate)
            )
        assert list(await provider.get_pending_aggregate_keys()) == [aggregate]

    async def test_aggregate_events_are_not_unordered_events(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        await provider.save_event(OutboxEvent(_topic(), b"ordered", aggregate_key=_aggregate()))
        await provider.save_event(OutboxEvent(_topic(), b"unordered"))
        pending = await provider.get_pending_unordered_events(limit=10)
        assert [r["payload"] for r in pending] == [b"unordered"]

    async def test_marking_one_event_leaves_the_others_pending(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        aggregate = _aggregate()
        for i in range(3):
            await provider.save_event(
                OutboxEvent(_topic(), f"e{i}".encode(), aggregate_key=aggregate)
            )
        first, *_ = await provider.get_pending_events_for_aggregate(aggregate)
        await provider.mark_as_processed(first)
        assert await _sequence_ids(provider, aggregate) == [2, 3]

    async def test_sequence_ids_continue_after_processing(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        aggregate = _aggregate()
        for i in range(2):
            await provider.save_event(
                OutboxEvent(_topic(), f"e{i}".encode(), aggregate_key=aggregate)
            )
        for record in await provider.get_pending_events_for_aggregate(aggregate):
            await provider.mark_as_processed(record)
        await provider.save_event(OutboxEvent(_topic(), b"e2", aggregate_key=aggregate))
        assert await _sequence_ids(provider, aggregate) == [3]

    async def test_concurrent_saves_get_gap_free_unique_sequence_ids(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        aggregate = _aggregate()
        await asyncio.gather(
            *(
                provider.save_event(
                    OutboxEvent(_topic(), f"e{i}".encode(), aggregate_key=aggregate)
                )
                for i in range(20)
            )
        )
        assert await _sequence_ids(provider, aggregate) == list(range(1, 21))

    async def test_concurrent_saves_lose_no_unordered_event(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        sent = {f"e{i}".encode() for i in range(20)}
        await asyncio.gather(*(provider.save_event(OutboxEvent(_topic(), p)) for p in sent))
        pending = await provider.get_pending_unordered_events(limit=100)
        assert sorted(r["payload"] for r in pending) == sorted(sent)

    async def test_payload_bytes_round_trip(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        payload = bytes(range(256))
        await provider.save_event(OutboxEvent(_topic(), payload, aggregate_key="binary"))
        (record,) = await provider.get_pending_events_for_aggregate("binary")
        assert record["payload"] == payload

    async def test_behaves_like_a_model_outbox(self, provider_factory: ProviderFactory) -> None:
        await run_machine(_outbox_machine(provider_factory))


def _outbox_machine(provider_factory: ProviderFactory) -> type[AsyncStateMachine]:
    aggregates = st.sampled_from(["agg-a", "agg-b", "agg-c"])

    class OutboxMachine(AsyncStateMachine):
        """Model: pending unordered payloads, and per aggregate the pending (seq, payload)."""

        def __init__(self) -> None:
            super().__init__()
            self.provider = self.make_provider(provider_factory)
            self.counter = 0
            self.unordered: set[bytes] = set()
            self.sequences: dict[str, int] = {}
            self.ordered: dict[str, list[tuple[int, bytes]]] = {}

        def _payload(self) -> bytes:
            self.counter += 1
            return f"payload-{self.counter}".encode()

        @rule()
        def save_unordered(self) -> None:
            payload = self._payload()
            self.run(self.provider.save_event(OutboxEvent("topic", payload)))
            self.unordered.add(payload)

        @rule(aggregate=aggregates)
        def save_for_aggregate(self, aggregate: str) -> None:
            payload = self._payload()
            self.run(
                self.provider.save_event(OutboxEvent("topic", payload, aggregate_key=aggregate))
            )
            self.sequences[aggregate] = self.sequences.get(aggregate, 0) + 1
            self.ordered.setdefault(aggregate, []).append((self.sequences[aggregate], payload))

        @precondition(lambda self: bool(self.unordered))
        @rule(index=st.integers(0, 50), limit=st.integers(1, 4))
        def process_unordered(self, index: int, limit: int) -> None:
            records = self.run(self.provider.get_pending_unordered_events(limit=limit))
            assert len(records) == min(limit, len(self.unordered))
            record = records[index % len(records)]
            self.run(self.provider.mark_as_processed(record))
            self.unordered.discard(record["payload"])

        @precondition(lambda self: any(self.ordered.values()))
        @rule(aggregate=aggregates, index=st.integers(0, 50))
        def process_for_aggregate(self, aggregate: str, index: int) -> None:
            records = self.run(self.provider.get_pending_events_for_aggregate(aggregate))
            if not records:
                return
            record = records[index % len(records)]
            self.run(self.provider.mark_as_processed(record))
            self.ordered[aggregate] = [
                (seq, p) for seq, p in self.ordered[aggregate] if seq != record["sequence_id"]
            ]

        @invariant()
        def pending_matches_model(self) -> None:
            records = self.run(self.provider.get_pending_unordered_events(limit=1000))
            assert {r["payload"] for r in records} == self.unordered
            assert len(records) == len(self.unordered)
            for aggregate, expected in self.ordered.items():
                records = self.run(self.provider.get_pending_events_for_aggregate(aggregate))
                assert [(r["sequence_id"], r["payload"]) for r in records] == expected
            keys = list(self.run(self.provider.get_pending_aggregate_keys()))
            assert sorted(keys) == sorted(a for a, pending in self.ordered.items() if pending)

    return OutboxMachine
