"""Delayed message delivery contract.

Fixture ``provider_factory`` — its *value* is the tuple (the upstream docstring calls it a
factory, the tests never call it): ``publish, get_message_from_topic = provider_factory``.
Implement it as an (async) generator fixture that starts whatever the delayed delivery needs,
yields the tuple and stops it afterwards.

* ``publish(topic=, payload=, key=None, headers=None, delay_seconds=None)``: ``None`` means
  deliver now, a float means "not before that many seconds from the call";
* ``get_message_from_topic(topic)`` blocks until a message arrives on ``topic`` (tests bound it
  with ``asyncio.wait_for``; it must be cancellable).

Timing assumptions (wall clock, ``time.monotonic()``, measured from just before ``publish``):

* never early: a message published with ``delay_seconds=d`` must not arrive before ``d`` has
  elapsed. There is no tolerance in that direction: a provider computes its due time after the
  test's clock reading, so a correct provider can never look early;
* by due time: it must arrive by ``d + DELIVERY_SLACK`` (1.5 s, room for a loaded 2-core CI
  machine; upstream allowed 1.0 s); an immediate message by ``DELIVERY_SLACK``;
* a message due earlier is not held back by one due later that was published before it (no
  head-of-line blocking): the later-due message is due 3.0 s out, past the earlier one's
  deadline.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tck_py.messaging._support import DELIVERY_SLACK, headers_as_text, within

DelayedFixture = tuple[Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]]

UPSTREAM_DELAY = 2.0


def _topic() -> str:
    return f"tck-delayed-test-{uuid.uuid4()}"


async def _receive_timed(
    get_message: Callable[..., Awaitable[Any]], topic: str, started: float, due_in: float
) -> tuple[Any, float]:
    """Wait for the next message on ``topic``; return it and the seconds since ``started``."""
    budget = max(0.0, started + due_in + DELIVERY_SLACK - time.monotonic())
    message = await within(budget, get_message(topic), f"delivery on {topic!r}")
    return message, time.monotonic() - started


def _assert_not_early(elapsed: float, delay: float) -> None:
    assert elapsed >= delay, f"delivered {delay - elapsed:.3f} s before its delay of {delay} s"


@pytest.mark.asyncio
class BaseTestDelayedMessagingContract:
    """The delayed messaging contract. Subclass it and override ``provider_factory``."""

    @pytest.fixture
    def provider_factory(self) -> DelayedFixture:
        raise NotImplementedError(
            "override the 'provider_factory' fixture in your test class: its value must be the"
            " tuple (publish, get_message_from_topic), e.g. from an async generator fixture"
        )

    # -- stricter guarantees (first: they are the quick ones) ------------------------------------

    async def test_immediate_message_is_not_held_behind_a_delayed_one(
        self, provider_factory: DelayedFixture
    ) -> None:
        publish, get_message = provider_factory
        topic = _topic()
        await publish(topic=topic, payload=b"later", delay_seconds=3.0)
        started = time.monotonic()
        await publish(topic=topic, payload=b"now", delay_seconds=None)
        message, _ = await _receive_timed(get_message, topic, started, 0.0)
        assert message.payload == b"now"

    async def test_earlier_due_message_is_not_held_back(
        self, provider_factory: DelayedFixture
    ) -> None:
        publish, get_message = provider_factory
        topic = _topic()
        await publish(topic=topic, payload=b"due-late", delay_seconds=3.0)
        started = time.monotonic()
        await publish(topic=topic, payload=b"due-early", delay_seconds=0.2)
        message, elapsed = await _receive_timed(get_message, topic, started, 0.2)
        assert message.payload == b"due-early"
        _assert_not_early(elapsed, 0.2)

    async def test_delayed_message_is_never_delivered_early(
        self, provider_factory: DelayedFixture
    ) -> None:
        publish, get_message = provider_factory
        topic = _topic()
        started = time.monotonic()
        await publish(topic=topic, payload=b"patience", delay_seconds=0.5)
        message, elapsed = await _receive_timed(get_message, topic, started, 0.5)
        assert message.payload == b"patience"
        _assert_not_early(elapsed, 0.5)

    async def test_delayed_topics_are_isolated(self, provider_factory: DelayedFixture) -> None:
        publish, get_message = provider_factory
        first, second = _topic(), _topic()
        started = time.monotonic()
        await publish(topic=first, payload=b"for-first", delay_seconds=0.1)
        await publish(topic=second, payload=b"for-second", delay_seconds=0.1)
        message, _ = await _receive_timed(get_message, second, started, 0.1)
        assert message.payload == b"for-second"
        message, _ = await _receive_timed(get_message, first, started, 0.1)
        assert message.payload == b"for-first"

    async def test_short_delay_keeps_key_and_headers(
        self, provider_factory: DelayedFixture
    ) -> None:
        publish, get_message = provider_factory
        topic = _topic()
        started = time.monotonic()
        await publish(
            topic=topic,
            payload=b"short delay",
            key="short-key",
            headers={"x-trace-id": "short-trace", "x-message-type": "Reminder"},
            delay_seconds=0.1,
        )
        message, _ = await _receive_timed(get_message, topic, started, 0.1)
        assert message.key == "short-key"
        received = headers_as_text(message.headers)
        assert received.get("x-trace-id") == "short-trace"
        assert received.get("x-message-type") == "Reminder"

    async def test_delayed_binary_payload_round_trips(
        self, provider_factory: DelayedFixture
    ) -> None:
        publish, get_message = provider_factory
        topic = _topic()
        payload = bytes(range(256))
        started = time.monotonic()
        await publish(topic=topic, payload=payload, key=None, headers=None, delay_seconds=0.1)
        message, _ = await _receive_timed(get_message, topic, started, 0.1)
        assert message.payload == payload

    # -- upstream tck_py 0.1 tests -------------------------------------------------------------

    async def test_message_is_delivered_after_delay(self, provider_factory: DelayedFixture) -> None:
        publish, get_message = provider_factory
        topic = _topic()
        started = time.monotonic()
        await publish(topic=topic, payload=b"delayed", delay_seconds=UPSTREAM_DELAY)
        message, elapsed = await _receive_timed(get_message, topic, started, UPSTREAM_DELAY)
        assert message.payload == b"delayed"
        _assert_not_early(elapsed, UPSTREAM_DELAY)

    async def test_message_without_delay_is_delivered_immediately(
        self, provider_factory: DelayedFixture
    ) -> None:
        publish, get_message = provider_factory
        topic = _topic()
        started = time.monotonic()
        await publish(topic=topic, payload=b"immediate", delay_seconds=None)
        message, _ = await _receive_timed(get_message, topic, started, 0.0)
        assert message.payload == b"immediate"

    async def test_delayed_message_retains_key_and_headers(
        self, provider_factory: DelayedFixture
    ) -> None:
        publish, get_message = provider_factory
        topic = _topic()
        started = time.monotonic()
        await publish(
            topic=topic,
            payload=b"with metadata",
            key="delayed-key",
            headers={"x-trace-id": "delayed-trace"},
            delay_seconds=UPSTREAM_DELAY,
        )
        message, elapsed = await _receive_timed(get_message, topic, started, UPSTREAM_DELAY)
        assert message.key == "delayed-key"
        assert headers_as_text(message.headers).get("x-trace-id") == "delayed-trace"
        _assert_not_early(elapsed, UPSTREAM_DELAY)
