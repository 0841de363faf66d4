"""Message consumer contract.

Fixture ``provider_factory`` (sync) returns an async callable called positionally:
``consumer, publish, get_message_from_dlq = await provider_factory(handler, topic, config)``.

* ``handler(message)`` is an async callable returning a :class:`ProcessingOutcome`;
* ``consumer`` is the running consumer: it has a synchronous ``cancel()`` (an ``asyncio.Task``
  fits);
* ``publish(payload, key=None, headers=None)`` publishes to ``topic``;
* ``get_message_from_dlq(timeout)`` returns the next dead-lettered message or ``None``.

Semantics: delivery is at least once: a message that was handed to a handler but not
acknowledged when its consumer stopped is delivered again to the next consumer of the topic.
Consumers of one topic compete: each message goes to one of them (no fan-out).
``SUCCESS`` acknowledges (never delivered again); ``RETRY`` hands the same message to
the handler again, at most ``config["max_attempts"]`` deliveries in total; ``FAIL`` or exhausted
attempts move the message, payload, key and headers intact, to the dead-letter queue. A handler
that raises is treated like ``RETRY`` and never stops the consumer.

Timing assumptions: every wait is a deadline on an event (handler invocation, DLQ arrival), never
a fixed sleep that a correct provider could miss: 2.0 s for a first delivery, 2.5 s for retries
and dead-lettering (the upstream figures), plus :data:`DELIVERY_SLACK` where a test waits for
several deliveries. After a message is dead-lettered the tests pause 0.1 s before reading the
dead-letter queue; this only gives the consumer time to finish its own bookkeeping, the read
itself still waits up to its deadline. A dead-letter queue shared between topics is tolerated:
tests skip dead-lettered messages that are not theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from enum import Enum, auto
from typing import Any

import pytest

from tck_py.messaging._support import DELIVERY_SLACK, headers_as_text, wait_until, within

ProviderFactory = Callable[..., Awaitable[Any]]


class ProcessingOutcome(Enum):
    """What a consumer handler tells the consumer to do with the message it was given."""

    SUCCESS = auto()
    RETRY = auto()
    FAIL = auto()


FIRST_DELIVERY = 2.0
RETRY_DELIVERY = 2.5
DLQ_SETTLE = 0.1


def _topic() -> str:
    return f"tck-consumer-test-{uuid.uuid4()}"


class _Recorder:
    """A handler that records every delivery and answers with a per-payload script."""

    def __init__(
        self,
        script: Callable[[bytes, int], ProcessingOutcome] | None = None,
    ) -> None:
        self.deliveries: list[Any] = []
        self._script = script or (lambda _payload, _attempt: ProcessingOutcome.SUCCESS)
        self._changed = asyncio.Event()

    def count(self, payload: bytes) -> int:
        return sum(1 for message in self.deliveries if message.payload == payload)

    def payloads(self) -> list[bytes]:
        return [message.payload for message in self.deliveries]

    async def __call__(self, message: Any) -> ProcessingOutcome:
        self.deliveries.append(message)
        self._changed.set()
        return self._script(message.payload, self.count(message.payload))

    async def wait_for_count(self, payload: bytes, count: int, seconds: float) -> None:
        async def _wait() -> None:
            while self.count(payload) < count:
                self._changed.clear()
                await self._changed.wait()

        await within(seconds, _wait(), f"delivery #{count} of {payload!r} to the handler")


async def _stop(consumer: Any) -> None:
    consumer.cancel()
    await asyncio.sleep(0.01)


async def _dead_letter(
    get_message_from_dlq: Callable[..., Awaitable[Any]],
    payload: bytes | tuple[bytes, ...],
    seconds: float,
) -> Any:
    """Read the dead-letter queue until ``payload`` (or one of several) shows up.

    Messages that are not ours (a dead-letter queue shared with other tests) are skipped.
    """
    wanted = payload if isinstance(payload, tuple) else (payload,)
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        with contextlib.suppress(TimeoutError):
            message = await asyncio.wait_for(
                get_message_from_dlq(timeout=remaining), timeout=remaining
            )
            if message is not None and message.payload in wanted:
                return message
            if message is None:
                await asyncio.sleep(0.01)
    pytest.fail(f"{payload!r} did not reach the dead-letter queue within {seconds:.1f} s")


@pytest.mark.asyncio
class BaseTestConsumerContract:
    """The consumer contract. Subclass it and override ``provider_factory``."""

    @pytest.fixture
    def provider_factory(self) -> ProviderFactory:
        raise NotImplementedError(
            "override the 'provider_factory' fixture in your test class: it must return an async"
            " callable '(handler, topic, consumer_config) -> (consumer, publish,"
            " get_message_from_dlq)'"
        )

    # -- upstream tck_py 0.1 tests -------------------------------------------------------------

    async def test_consumes_simple_message(self, provider_factory: ProviderFactory) -> None:
        handler = _Recorder()
        consumer, publish, _ = await provider_factory(handler, _topic(), {})
        try:
            await publish(payload=b"simple message")
            await handler.wait_for_count(b"simple message", 1, FIRST_DELIVERY)
        finally:
            await _stop(consumer)

    async def test_consumes_message_with_key_and_headers(
        self, provider_factory: ProviderFactory
    ) -> None:
        handler = _Recorder()
        consumer, publish, _ = await provider_factory(handler, _topic(), {})
        try:
            await publish(payload=b"keyed", key="key-1", headers={"x-trace-id": "abc-123"})
            await handler.wait_for_count(b"keyed", 1, FIRST_DELIVERY)
        finally:
            await _stop(consumer)
        message = handler.deliveries[0]
        assert message.key == "key-1"
        assert headers_as_text(message.headers).get("x-trace-id") == "abc-123"

    async def test_retry_outcome_redelivers_message(
        self, provider_factory: ProviderFactory
    ) -> None:
        handler = _Recorder(
            lambda _p, attempt: (
                ProcessingOutcome.RETRY if attempt == 1 else ProcessingOutcome.SUCCESS
            )
        )
        consumer, publish, _ = await provider_factory(handler, _topic(), {"max_attempts": 2})
        try:
            await publish(payload=b"retry me")
            await handler.wait_for_count(b"retry me", 2, RETRY_DELIVERY)
            await asyncio.sleep(DLQ_SETTLE)
        finally:
            await _stop(consumer)
        assert handler.count(b"retry me") == 2

    async def test_fail_outcome_moves_message_to_dlq(
        self, provider_factory: ProviderFactory
    ) -> None:
        handler = _Recorder(lambda _p, _a: ProcessingOutcome.FAIL)
        consumer, publish, get_dlq = await provider_factory(handler, _topic(), {"max_attempts": 1})
        payload = f"fail-{uuid.uuid4()}".encode()
        try:
            await publish(payload=payload, key="dlq-key")
            await handler.wait_for_count(payload, 1, FIRST_DELIVERY)
            await asyncio.sleep(DLQ_SETTLE)
            message = await _dead_letter(get_dlq, payload, RETRY_DELIVERY)
        finally:
            await _stop(consumer)
        assert message.payload == payload
        assert message.key == "dlq-key"

    # -- stricter guarantees ---------------------------------------------------------------------

    async def test_order_is_preserved_per_topic(self, provider_factory: ProviderFactory) -> None:
        handler = _Recorder()
        consumer, publish, _ = await provider_factory(handler, _topic(), {})
        sent = [f"ordered-{i}".encode() for i in range(5)]
        try:
            for payload in sent:
                await publish(payload=payload, key="same-key")
            await handler.wait_for_count(sent[-1], 1, FIRST_DELIVERY + DELIVERY_SLACK)
        finally:
            await _stop(consumer)
        assert handler.payloads() == sent

    async def test_topics_are_isolated(self, provider_factory: ProviderFactory) -> None:
        first, second = _Recorder(), _Recorder()
        consumer_1, publish_1, _ = await provider_factory(first, _topic(), {})
        consumer_2, publish_2, _ = await provider_factory(second, _topic(), {})
        try:
            await publish_1(payload=b"for-first")
            await publish_2(payload=b"for-second")
            await first.wait_for_count(b"for-first", 1, FIRST_DELIVERY)
            await second.wait_for_count(b"for-second", 1, FIRST_DELIVERY)
            await asyncio.sleep(DLQ_SETTLE)
        finally:
            await _stop(consumer_1)
            await _stop(consumer_2)
        assert first.payloads() == [b"for-first"]
        assert second.payloads() == [b"for-second"]

    async def test_success_is_never_redelivered(self, provider_factory: ProviderFactory) -> None:
        handler = _Recorder()
        consumer, publish, _ = await provider_factory(handler, _topic(), {"max_attempts": 3})
        try:
            await publish(payload=b"acked once")
            await handler.wait_for_count(b"acked once", 1, FIRST_DELIVERY)
            # A sentinel published after the acknowledgement: once it has been handled, any
            # redelivery of the first message would already have reached the handler.
            await asyncio.sleep(DLQ_SETTLE)
            await publish(payload=b"sentinel")
            await handler.wait_for_count(b"sentinel", 1, FIRST_DELIVERY)
            await asyncio.sleep(DLQ_SETTLE)
        finally:
            await _stop(consumer)
        assert handler.count(b"acked once") == 1

    async def test_handler_exception_is_retried_like_retry(
        self, provider_factory: ProviderFactory
    ) -> None:
        def script(_payload: bytes, attempt: int) -> ProcessingOutcome:
            if attempt == 1:
                raise RuntimeError("handler crashed on the first delivery")
            return ProcessingOutcome.SUCCESS

        handler = _Recorder(script)
        consumer, publish, _ = await provider_factory(handler, _topic(), {"max_attempts": 3})
        try:
            await publish(payload=b"crash once")
            await handler.wait_for_count(b"crash once", 2, RETRY_DELIVERY)
        finally:
            await _stop(consumer)

    async def test_handler_exception_does_not_stop_the_consumer(
        self, provider_factory: ProviderFactory
    ) -> None:
        def script(payload: bytes, _attempt: int) -> ProcessingOutcome:
            if payload == b"poison":
                raise RuntimeError("handler always crashes on this message")
            return ProcessingOutcome.SUCCESS

        handler = _Recorder(script)
        consumer, publish, _ = await provider_factory(handler, _topic(), {"max_attempts": 2})
        try:
            await publish(payload=b"poison")
            await handler.wait_for_count(b"poison", 1, FIRST_DELIVERY)
            await publish(payload=b"next")
            await handler.wait_for_count(b"next", 1, RETRY_DELIVERY + DELIVERY_SLACK)
        finally:
            await _stop(consumer)

    async def test_exactly_max_attempts_deliveries_before_dlq(
        self, provider_factory: ProviderFactory
    ) -> None:
        poison = f"retry-forever-{uuid.uuid4()}".encode()

        def script(payload: bytes, _attempt: int) -> ProcessingOutcome:
            return ProcessingOutcome.RETRY if payload == poison else ProcessingOutcome.SUCCESS

        handler = _Recorder(script)
        # 4: neither a common default (3) nor a value another test uses.
        consumer, publish, get_dlq = await provider_factory(handler, _topic(), {"max_attempts": 4})
        try:
            await publish(payload=poison)
            await handler.wait_for_count(poison, 4, RETRY_DELIVERY + DELIVERY_SLACK)
            await asyncio.sleep(DLQ_SETTLE)
            await _dead_letter(get_dlq, poison, RETRY_DELIVERY)
            await publish(payload=b"sentinel")
            await handler.wait_for_count(b"sentinel", 1, FIRST_DELIVERY)
        finally:
            await _stop(consumer)
        assert handler.count(poison) == 4

    async def test_single_attempt_means_no_redelivery(
        self, provider_factory: ProviderFactory
    ) -> None:
        poison = f"retry-once-{uuid.uuid4()}".encode()

        def script(payload: bytes, _attempt: int) -> ProcessingOutcome:
            return ProcessingOutcome.RETRY if payload == poison else ProcessingOutcome.SUCCESS

        handler = _Recorder(script)
        consumer, publish, get_dlq = await provider_factory(handler, _topic(), {"max_attempts": 1})
        try:
            await publish(payload=poison)
            await _dead_letter(get_dlq, poison, RETRY_DELIVERY)
            await publish(payload=b"sentinel")
            await handler.wait_for_count(b"sentinel", 1, FIRST_DELIVERY)
        finally:
            await _stop(consumer)
        assert handler.count(poison) == 1

    async def test_acknowledged_message_is_not_dead_lettered(
        self, provider_factory: ProviderFactory
    ) -> None:
        good, bad = f"good-{uuid.uuid4()}".encode(), f"bad-{uuid.uuid4()}".encode()

        def script(payload: bytes, _attempt: int) -> ProcessingOutcome:
            return ProcessingOutcome.FAIL if payload == bad else ProcessingOutcome.SUCCESS

        handler = _Recorder(script)
        consumer, publish, get_dlq = await provider_factory(handler, _topic(), {"max_attempts": 1})
        try:
            await publish(payload=good)
            await publish(payload=bad)
            await handler.wait_for_count(bad, 1, FIRST_DELIVERY)
            await asyncio.sleep(DLQ_SETTLE)
            # The first of OUR messages to reach the dead-letter queue must be the failed one.
            first = await _dead_letter(get_dlq, (good, bad), RETRY_DELIVERY)
        finally:
            await _stop(consumer)
        assert first.payload == bad

    async def test_dead_letter_keeps_payload_key_and_headers(
        self, provider_factory: ProviderFactory
    ) -> None:
        handler = _Recorder(lambda _p, _a: ProcessingOutcome.FAIL)
        consumer, publish, get_dlq = await provider_factory(handler, _topic(), {"max_attempts": 1})
        payload = f"dead-{uuid.uuid4()}".encode() + b"\x00\xff"
        headers = {"x-trace-id": "trace-dlq", "x-message-type": "OrderCreated"}
        try:
            await publish(payload=payload, key="dlq-key", headers=headers)
            await handler.wait_for_count(payload, 1, FIRST_DELIVERY)
            await asyncio.sleep(DLQ_SETTLE)
            message = await _dead_letter(get_dlq, payload, RETRY_DELIVERY)
        finally:
            await _stop(consumer)
        assert message.key == "dlq-key"
        received = headers_as_text(message.headers)
        assert {k: received.get(k) for k in headers} == headers

    async def test_unacknowledged_message_survives_a_consumer_restart(
        self, provider_factory: ProviderFactory
    ) -> None:
        """At least once across a restart: a consumer stopped while its handler still held a
        message (not acknowledged) must not lose it; the next consumer of the topic gets it.

        Not tested before: a consumer that removes a message from the topic before handling it
        passed, and lost the message whenever it stopped mid-handling.
        """
        topic, taken = _topic(), asyncio.Event()

        async def stuck(_message: Any) -> ProcessingOutcome:
            taken.set()
            await asyncio.Event().wait()  # never returns: stopped before it acknowledges
            return ProcessingOutcome.SUCCESS

        first, publish, _ = await provider_factory(stuck, topic, {"max_attempts": 3})
        try:
            await publish(payload=b"in flight", key="k-1")
            await within(FIRST_DELIVERY, taken.wait(), "the first delivery of 'in flight'")
        finally:
            await _stop(first)
        handler = _Recorder()
        second, _, _ = await provider_factory(handler, topic, {"max_attempts": 3})
        try:
            await handler.wait_for_count(b"in flight", 1, RETRY_DELIVERY + DELIVERY_SLACK)
        finally:
            await _stop(second)
        assert handler.deliveries[0].key == "k-1"

    async def test_competing_consumers_share_the_messages(
        self, provider_factory: ProviderFactory
    ) -> None:
        """Two consumers of one topic compete: every message is handled once, by one of them.

        Not tested before: a provider that fanned every message out to every consumer of the
        topic (pub/sub instead of a shared subscription) passed.
        """
        topic, sent = _topic(), [f"work-{i}".encode() for i in range(20)]
        handlers = (_Recorder(), _Recorder())
        first, publish, _ = await provider_factory(handlers[0], topic, {})
        second, _, _ = await provider_factory(handlers[1], topic, {})

        def handled() -> list[bytes]:
            return handlers[0].payloads() + handlers[1].payloads()

        try:
            for payload in sent:
                await publish(payload=payload)
            await wait_until(
                lambda: set(handled()) == set(sent),
                FIRST_DELIVERY + DELIVERY_SLACK,
                "every message handled by one of the two consumers",
            )
            # Settle: a duplicate delivery of any message would arrive meanwhile.
            await asyncio.sleep(DLQ_SETTLE)
        finally:
            await _stop(first)
            await _stop(second)
        assert sorted(handled()) == sorted(sent), "a message was handled by both consumers"

    async def test_retried_message_is_the_same_message(
        self, provider_factory: ProviderFactory
    ) -> None:
        handler = _Recorder(
            lambda _p, attempt: (
                ProcessingOutcome.RETRY if attempt == 1 else ProcessingOutcome.SUCCESS
            )
        )
        consumer, publish, _ = await provider_factory(handler, _topic(), {"max_attempts": 2})
        try:
            await publish(payload=b"same", key="k-1", headers={"x-trace-id": "t-1"})
            await handler.wait_for_count(b"same", 2, RETRY_DELIVERY)
        finally:
            await _stop(consumer)
        first, second = handler.deliveries[:2]
        assert (second.payload, second.key) == (first.payload, first.key) == (b"same", "k-1")
        assert headers_as_text(second.headers).get("x-trace-id") == "t-1"
