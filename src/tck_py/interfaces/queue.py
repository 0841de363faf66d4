"""Queue interfaces: basic, visibility, dead letter, priority, delayed.

Timing: visibility timeouts and delays of 0.2-0.5 s, polled for up to 2 s; "never early" checks
use 1.5 s delays and assert only while the elapsed time is safely below them.

Limits: the suites ask only for what real queues share. The longest delay is ``MAX_DELAY``
(900 s, Amazon SQS's ceiling for ``DelaySeconds``), the longest visibility timeout 30 s (SQS allows
12 h). Short visibility timeouts and delays are fractions of a second only where a backend with
whole-second granularity (SQS) may round them up and still pass; a test that needs a lease to run
out uses ``WHOLE_SECOND``. A dead-letter move may wait for the next receive from the source queue
(SQS's redrive does), so the suites look for a dead letter only after one. See docs/interfaces.md.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis.stateful import invariant, rule

from tck_py.interfaces._support import (
    InterfaceSuite,
    ProviderFactory,
    ProviderMachine,
    drain,
    eventually,
    observe_until,
    run_machine,
    unique,
)

SHORT = 0.3
DEADLINE = 2.0
#: The shortest lease a test waits out: SQS counts visibility timeouts in whole seconds.
WHOLE_SECOND = 1.0
#: The longest delay any test asks for: Amazon SQS refuses ``DelaySeconds`` above 900.
MAX_DELAY = 900.0


async def _payloads(p: Any, queue: str) -> list[bytes]:
    return [bytes(m.payload) for m in await drain(lambda: p.queue_dequeue(queue))]


class _QueueMachine(ProviderMachine):
    def __init__(self) -> None:
        super().__init__()
        self.queue = unique("q")
        self.model: deque[bytes] = deque()

    @rule(payload=st.binary(max_size=4))
    def enqueue(self, payload: bytes) -> None:
        self.call(self.provider.queue_enqueue(self.queue, payload))
        self.model.append(payload)

    @rule()
    def dequeue(self) -> None:
        message = self.call(self.provider.queue_dequeue(self.queue))
        expected = self.model.popleft() if self.model else None
        assert (None if message is None else bytes(message.payload)) == expected

    @invariant()
    def head(self) -> None:
        message = self.call(self.provider.queue_peek(self.queue))
        assert (None if message is None else bytes(message.payload)) == (
            self.model[0] if self.model else None
        )


class BaseTestQueueBasicInterface(InterfaceSuite):
    """queue_basic: queue_enqueue, queue_dequeue, queue_peek (FIFO)."""

    interface = "queue_basic"

    async def test_fifo_order(self, provider_factory: ProviderFactory) -> None:
        p, q = await provider_factory(), unique("q")
        for i in range(5):
            await p.queue_enqueue(q, f"{i}".encode())
        assert await _payloads(p, q) == [f"{i}".encode() for i in range(5)]
        assert await p.queue_dequeue(q) is None

    async def test_peek_does_not_remove(self, provider_factory: ProviderFactory) -> None:
        p, q = await provider_factory(), unique("q")
        assert await p.queue_peek(q) is None
        message_id = await p.queue_enqueue(q, b"head", {"k": "v"})
        await p.queue_enqueue(q, b"tail")
        peeked = await p.queue_peek(q)
        assert peeked is not None
        assert peeked.message_id == message_id
        taken = await p.queue_dequeue(q)
        assert taken is not None
        assert taken.message_id == message_id
        assert (bytes(taken.payload), dict(taken.metadata)) == (b"head", {"k": "v"})
        assert taken.delivery_count == 1

    async def test_queues_are_isolated(self, provider_factory: ProviderFactory) -> None:
        p, a, b = await provider_factory(), unique("q"), unique("q")
        await p.queue_enqueue(a, b"x")
        assert await p.queue_dequeue(b) is None
        assert await _payloads(p, a) == [b"x"]

    async def test_binary_payloads(self, provider_factory: ProviderFactory) -> None:
        p, q = await provider_factory(), unique("q")
        payloads = [b"", bytes(range(256))]
        for payload in payloads:
            await p.queue_enqueue(q, payload)
        assert await _payloads(p, q) == payloads

    async def test_concurrent_consumers_get_each_message_once(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, q = await provider_factory(), unique("q")
        await asyncio.gather(*(p.queue_enqueue(q, f"{i}".encode()) for i in range(50)))

        async def take() -> Any:
            await asyncio.sleep(0)  # let the other consumers interleave
            return await p.queue_dequeue(q)

        async def consume() -> list[bytes]:
            return [bytes(m.payload) for m in await drain(take, limit=100)]

        results = await asyncio.gather(*(consume() for _ in range(5)))
        everything = [m for got in results for m in got]
        assert sorted(everything) == sorted(f"{i}".encode() for i in range(50))

    async def test_matches_a_deque_model(self, provider_factory: ProviderFactory) -> None:
        await run_machine(_QueueMachine, provider_factory)


class BaseTestQueueVisibilityInterface(InterfaceSuite):
    """queue_visibility: hidden while processed, back unless acknowledged."""

    interface = "queue_visibility"

    async def test_a_taken_message_is_hidden_then_returns(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, q = await provider_factory(), unique("q")
        await p.queue_enqueue(q, b"job")
        first = await p.queue_dequeue_with_timeout(q, SHORT)
        assert first is not None
        assert first.delivery_count == 1
        assert await p.queue_dequeue_with_timeout(q, SHORT) is None
        again: list[Any] = []

        async def back() -> bool:
            again.append(await p.queue_dequeue_with_timeout(q, 30))
            return again[-1] is not None

        assert await eventually(back, DEADLINE), "message never became visible again"
        assert again[-1].message_id == first.message_id
        assert again[-1].delivery_count == 2

    async def test_ack_removes_for_good(self, provider_factory: ProviderFactory) -> None:
        p, q = await provider_factory(), unique("q")
        await p.queue_enqueue(q, b"job")
        message = await p.queue_dequeue_with_timeout(q, SHORT)
        assert await p.queue_ack(q, message.message_id) is True
        assert await p.queue_ack(q, message.message_id) is False
        await asyncio.sleep(SHORT * 2)
        assert await p.queue_dequeue_with_timeout(q, SHORT) is None

    async def test_release_makes_it_visible_at_once(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, q = await provider_factory(), unique("q")
        await p.queue_enqueue(q, b"job")
        message = await p.queue_dequeue_with_timeout(q, 30)
        assert await p.queue_release(q, message.message_id) is True
        again = await p.queue_dequeue_with_timeout(q, 30)
        assert again is not None
        assert again.message_id == message.message_id

    async def test_extend_keeps_it_hidden(self, provider_factory: ProviderFactory) -> None:
        p, q = await provider_factory(), unique("q")
        await p.queue_enqueue(q, b"job")
        message = await p.queue_dequeue_with_timeout(q, SHORT)
        assert await p.queue_extend_visibility(q, message.message_id, 30) is True
        await asyncio.sleep(SHORT * 2)
        assert await p.queue_dequeue_with_timeout(q, SHORT) is None
        assert await p.queue_ack(q, message.message_id) is True

    async def test_ack_after_the_timeout_is_refused(
        self, provider_factory: ProviderFactory
    ) -> None:
        """Once a lease has run out, an acknowledgement is refused and the message is visible
        again at once.

        The lease is ``WHOLE_SECOND`` (1 s), waited out with 0.3 s of margin; it was 0.1 s
        waited out for 0.4 s, which no SQS queue can pass: SQS counts visibility timeouts in
        whole seconds and holds a message taken for 0.1 s a whole second, a service limit
        outside the contract (docs/interfaces.md). A queue that never redelivers, or accepts
        an acknowledgement after its lease, still fails.
        """
        p, q = await provider_factory(), unique("q")
        await p.queue_enqueue(q, b"job")
        message = await p.queue_dequeue_with_timeout(q, WHOLE_SECOND)
        assert message is not None
        await asyncio.sleep(WHOLE_SECOND + 0.3)
        assert await p.queue_ack(q, message.message_id) is False
        again = await p.queue_dequeue_with_timeout(q, 30)
        assert again is not None, "the message was not visible again after its lease ran out"
        assert again.message_id == message.message_id

    async def test_unknown_ids_are_false(self, provider_factory: ProviderFactory) -> None:
        p, q = await provider_factory(), unique("q")
        assert await p.queue_ack(q, "no-such-id") is False
        assert await p.queue_release(q, "no-such-id") is False
        assert await p.queue_extend_visibility(q, "no-such-id", 5) is False

    async def test_visible_messages_cannot_be_acked(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, q = await provider_factory(), unique("q")
        message_id = await p.queue_enqueue(q, b"job")
        assert await p.queue_ack(q, message_id) is False
        assert await p.queue_peek(q) is not None

    async def test_non_positive_timeout_is_rejected(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, q = await provider_factory(), unique("q")
        await p.queue_enqueue(q, b"job")
        with pytest.raises(ValueError):
            await p.queue_dequeue_with_timeout(q, 0)
        assert await p.queue_peek(q) is not None


class BaseTestQueueDeadLetterInterface(InterfaceSuite):
    """queue_dead_letter: after max_deliveries unacknowledged deliveries, to the DLQ."""

    interface = "queue_dead_letter"

    async def _fail(self, p: Any, q: str) -> None:
        message = await p.queue_dequeue_with_timeout(q, 30)
        assert message is not None
        assert await p.queue_release(q, message.message_id) is True

    async def test_exactly_max_deliveries_then_dead_letter(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, q, dlq = await provider_factory(), unique("q"), unique("dlq")
        await p.queue_configure_dead_letter(q, dlq, 3)
        await p.queue_enqueue(q, b"poison", {"k": "v"})
        await self._fail(p, q)
        await self._fail(p, q)
        assert list(await p.queue_get_dead_letters(q)) == []
        await self._fail(p, q)
        assert await p.queue_dequeue_with_timeout(q, 30) is None
        (dead,) = await p.queue_get_dead_letters(q)
        assert (bytes(dead.payload), dict(dead.metadata)) == (b"poison", {"k": "v"})

    async def test_expired_visibility_counts_as_a_failure(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, q, dlq = await provider_factory(), unique("q"), unique("dlq")
        await p.queue_configure_dead_letter(q, dlq, 1)
        await p.queue_enqueue(q, b"slow")
        await p.queue_dequeue_with_timeout(q, 0.1)

        async def dead() -> bool:
            await p.queue_peek(q)  # give lazy implementations a chance to reclaim
            return len(await p.queue_get_dead_letters(q)) == 1

        assert await eventually(dead, DEADLINE)

    async def test_a_peek_is_not_a_delivery(self, provider_factory: ProviderFactory) -> None:
        """Peeks never count toward ``max_deliveries``: a message peeked twice, then taken once,
        is delivered with ``delivery_count`` 1 and is not a dead letter.

        queue_basic pins the count after a peek; this pins what it means for dead letters. A
        backend whose peek is a receive (SQS has no other) would move a peeked message to the
        dead-letter queue before any consumer had it.
        """
        p, q, dlq = await provider_factory(), unique("q"), unique("dlq")
        await p.queue_configure_dead_letter(q, dlq, 1)
        await p.queue_enqueue(q, b"job")
        assert await p.queue_peek(q) is not None
        assert await p.queue_peek(q) is not None
        message = await p.queue_dequeue_with_timeout(q, 30)
        assert message is not None, "a peeked message was not delivered"
        assert message.delivery_count == 1
        assert list(await p.queue_get_dead_letters(q)) == []

    async def test_acknowledged_messages_never_dead_letter(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, q, dlq = await provider_factory(), unique("q"), unique("dlq")
        await p.queue_configure_dead_letter(q, dlq, 1)
        await p.queue_enqueue(q, b"ok")
        message = await p.queue_dequeue_with_timeout(q, 30)
        assert await p.queue_ack(q, message.message_id) is True
        assert list(await p.queue_get_dead_letters(q)) == []

    async def test_the_dead_letter_queue_is_a_queue(
        self, provider_factory: ProviderFactory
    ) -> None:
        """A dead letter can be taken from the dead-letter queue like any message.

        The dead-letter queue is read after one receive attempt on the source queue (which
        must not deliver the message again), not right after the last failed delivery: SQS's
        redrive moves a message when the source queue is next received from, a service limit
        outside the contract (docs/interfaces.md). A queue that drops a dead letter instead of
        moving it still fails.
        """
        p, q, dlq = await provider_factory(), unique("q"), unique("dlq")
        await p.queue_configure_dead_letter(q, dlq, 1)
        await p.queue_enqueue(q, b"poison")
        await self._fail(p, q)
        assert await p.queue_dequeue_with_timeout(q, 30) is None
        taken = await p.queue_dequeue(dlq)
        assert taken is not None
        assert bytes(taken.payload) == b"poison"
        assert list(await p.queue_get_dead_letters(q)) == []

    async def test_unconfigured_queue_has_no_dead_letters(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, q = await provider_factory(), unique("q")
        await p.queue_enqueue(q, b"x")
        await self._fail(p, q)
        await self._fail(p, q)
        assert list(await p.queue_get_dead_letters(q)) == []
        assert await p.queue_peek(q) is not None

    async def test_invalid_max_deliveries(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        with pytest.raises(ValueError):
            await p.queue_configure_dead_letter(unique("q"), unique("dlq"), 0)


class BaseTestQueuePriorityInterface(InterfaceSuite):
    """queue_priority: higher priority first, FIFO within a priority."""

    interface = "queue_priority"

    async def test_higher_priority_first(self, provider_factory: ProviderFactory) -> None:
        p, q = await provider_factory(), unique("q")
        for priority in (1, 5, 3):
            await p.queue_enqueue_with_priority(q, f"p{priority}".encode(), priority)
        assert await _payloads(p, q) == [b"p5", b"p3", b"p1"]

    async def test_fifo_within_a_priority(self, provider_factory: ProviderFactory) -> None:
        p, q = await provider_factory(), unique("q")
        for i in range(4):
            await p.queue_enqueue_with_priority(q, f"a{i}".encode(), 2)
        await p.queue_enqueue_with_priority(q, b"urgent", 9)
        assert await _payloads(p, q) == [b"urgent", b"a0", b"a1", b"a2", b"a3"]

    async def test_plain_enqueue_is_priority_zero(self, provider_factory: ProviderFactory) -> None:
        p, q = await provider_factory(), unique("q")
        await p.queue_enqueue_with_priority(q, b"low", -1)
        await p.queue_enqueue(q, b"plain")
        await p.queue_enqueue_with_priority(q, b"high", 1, {"k": "v"})
        head = await p.queue_peek(q)
        assert head is not None
        assert dict(head.metadata) == {"k": "v"}
        assert await _payloads(p, q) == [b"high", b"plain", b"low"]


class BaseTestQueueDelayedInterface(InterfaceSuite):
    """queue_delayed: invisible until due; later-enqueued earlier-due messages not held back."""

    interface = "queue_delayed"

    async def _arrives(self, p: Any, q: str) -> bytes | None:
        got: list[Any] = []

        async def check() -> bool:
            got.append(await p.queue_dequeue(q))
            return got[-1] is not None

        return bytes(got[-1].payload) if await eventually(check, DEADLINE) else None

    async def test_delayed_message_arrives_when_due(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, q = await provider_factory(), unique("q")
        await p.queue_enqueue_delayed(q, b"later", SHORT)
        assert await p.queue_scheduled_count(q) == 1
        assert await self._arrives(p, q) == b"later"
        assert await p.queue_scheduled_count(q) == 0

    async def test_never_early(self, provider_factory: ProviderFactory) -> None:
        p, q = await provider_factory(), unique("q")
        started = time.monotonic()
        await p.queue_enqueue_delayed(q, b"later", 1.5)
        seen = await observe_until(lambda: p.queue_dequeue(q), 1.1, started=started)
        # the message cannot be due before started + 1.5 s; 0.2 s of margin for remote clocks
        early = [round(t, 2) for t, message in seen if message is not None and t < 1.3]
        assert early == [], "a message delayed 1.5 s was delivered early"
        assert await self._arrives(p, q) == b"later"

    async def test_earlier_due_is_not_held_back(self, provider_factory: ProviderFactory) -> None:
        """The long delay is MAX_DELAY (900 s), not an hour: SQS refuses delays above 900 s,
        and a test no real backend can pass for a service limit outside the contract is wrong.
        """
        p, q = await provider_factory(), unique("q")
        await p.queue_enqueue_delayed(q, b"long", MAX_DELAY)
        await p.queue_enqueue_delayed(q, b"soon", 0.2)
        assert await self._arrives(p, q) == b"soon"
        assert await p.queue_scheduled_count(q) == 1
        assert await p.queue_dequeue(q) is None

    async def test_the_longest_shared_delay_is_honoured(
        self, provider_factory: ProviderFactory
    ) -> None:
        """A delay of MAX_DELAY (900 s, the longest every backend accepts) is accepted and held.

        Pins the upper limit of the interface: a provider may not refuse it, nor quietly
        deliver at once a delay it considers too long (a clamp to zero instead of a cap).
        """
        p, q = await provider_factory(), unique("q")
        await p.queue_enqueue_delayed(q, b"long", MAX_DELAY, {"k": "v"})
        assert await p.queue_scheduled_count(q) == 1
        assert await p.queue_dequeue(q) is None
        assert await p.queue_peek(q) is None

    async def test_zero_delay_is_immediate(self, provider_factory: ProviderFactory) -> None:
        p, q = await provider_factory(), unique("q")
        await p.queue_enqueue_delayed(q, b"now", 0, {"k": "v"})
        message = await p.queue_dequeue(q)
        assert message is not None
        assert dict(message.metadata) == {"k": "v"}

    async def test_negative_delay_is_rejected(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        with pytest.raises(ValueError):
            await p.queue_enqueue_delayed(unique("q"), b"x", -1)
