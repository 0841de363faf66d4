"""Message producer contract.

Fixture ``provider_factory`` (sync) returns an async callable;
``producer, get_message_from_topic = await provider_factory()`` gives a producer with async
``publish(topic=, payload=, key=None, headers=None)`` and a verification helper
``get_message_from_topic(topic, timeout=2.0)`` returning one consumed message (``.payload``,
``.key``, ``.headers``) or ``None`` when nothing arrives within ``timeout``.
``await provider_factory(config={"bootstrap_servers": "localhost:9999"})`` must give a producer
whose ``publish`` raises ``PublishError`` (the broker at that address is unreachable).

Timing assumptions: a published message is visible to the helper within its 2.0 s timeout. No
test waits for the *absence* of a message (isolation is checked with positive reads), so a
helper that ignores its ``timeout`` only slows the suite down, it never fails it. Against an
unreachable broker, ``publish`` must raise ``PublishError`` within
``BaseTestProducerContract.publish_error_within`` seconds (5.0 by default; a provider whose
client cannot fail faster overrides the attribute in its test class, or sets the provider option
``publish_error_within`` in ``omnicloud.toml``, and says why): a client
that keeps reconnecting for minutes before giving up blocks its callers just as long.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import pytest

from tck_py.messaging._support import headers_as_text
from tck_py.shared.exceptions import PublishError

ProviderFactory = Callable[..., Awaitable[Any]]

HELPER_TIMEOUT = 2.0


def _topic() -> str:
    return f"tck-producer-test-{uuid.uuid4()}"


async def _receive(get_message: Callable[..., Awaitable[Any]], topic: str) -> Any:
    message = await get_message(topic, timeout=HELPER_TIMEOUT)
    assert message is not None, f"no message arrived on {topic!r} within {HELPER_TIMEOUT} s"
    return message


async def _publish_fails_within(producer: Any, seconds: float) -> float:
    """Publish once; ``PublishError`` must come within ``seconds``. Returns the time it took."""
    started = time.monotonic()
    try:
        await asyncio.wait_for(producer.publish(topic=_topic(), payload=b"lost"), seconds)
    except PublishError:
        return time.monotonic() - started
    except TimeoutError:
        pytest.fail(
            f"publish to an unreachable broker did not raise PublishError within {seconds:.1f} s"
            " (bound: publish_error_within)"
        )
    pytest.fail("publish to an unreachable broker returned instead of raising PublishError")


@pytest.mark.asyncio
class BaseTestProducerContract:
    """The producer contract. Subclass it and override ``provider_factory``.

    ``publish_error_within``: seconds within which ``publish`` to an unreachable broker must
    raise ``PublishError``; override it in a subclass for a client that needs longer.
    """

    publish_error_within: ClassVar[float] = 5.0

    @pytest.fixture
    def provider_factory(self) -> ProviderFactory:
        raise NotImplementedError(
            "override the 'provider_factory' fixture in your test class: it must return an async"
            " callable '(config=None) -> (producer, get_message_from_topic)'"
        )

    # -- upstream tck_py 0.1 tests -------------------------------------------------------------

    async def test_publish_simple_message(self, provider_factory: ProviderFactory) -> None:
        producer, get_message = await provider_factory()
        topic = _topic()
        await producer.publish(topic=topic, payload=b"hello world")
        message = await _receive(get_message, topic)
        assert message.payload == b"hello world"

    async def test_publish_with_key(self, provider_factory: ProviderFactory) -> None:
        producer, get_message = await provider_factory()
        topic = _topic()
        await producer.publish(topic=topic, payload=b"keyed", key="order-42")
        message = await _receive(get_message, topic)
        assert message.payload == b"keyed"
        assert message.key == "order-42"

    async def test_publish_with_headers(self, provider_factory: ProviderFactory) -> None:
        producer, get_message = await provider_factory()
        topic = _topic()
        headers = {"x-trace-id": "trace-123", "x-message-type": "OrderCreated"}
        await producer.publish(topic=topic, payload=b"with headers", headers=headers)
        message = await _receive(get_message, topic)
        received = headers_as_text(message.headers)
        assert received.get("x-trace-id") == "trace-123"
        assert received.get("x-message-type") == "OrderCreated"

    async def test_publish_to_unavailable_broker_raises_exception(
        self, provider_factory: ProviderFactory
    ) -> None:
        producer, _ = await provider_factory(config={"bootstrap_servers": "localhost:9999"})
        with pytest.raises(PublishError):
            await producer.publish(topic=_topic(), payload=b"lost")

    # -- stricter guarantees ---------------------------------------------------------------------

    async def test_binary_payload_round_trips_byte_for_byte(
        self, provider_factory: ProviderFactory
    ) -> None:
        producer, get_message = await provider_factory()
        topic = _topic()
        payload = bytes(range(256)) * 4
        await producer.publish(topic=topic, payload=payload)
        assert (await _receive(get_message, topic)).payload == payload

    async def test_empty_payload_round_trips(self, provider_factory: ProviderFactory) -> None:
        producer, get_message = await provider_factory()
        topic = _topic()
        await producer.publish(topic=topic, payload=b"", key="empty")
        message = await _receive(get_message, topic)
        assert message.payload == b""
        assert message.key == "empty"

    async def test_topics_are_isolated(self, provider_factory: ProviderFactory) -> None:
        producer, get_message = await provider_factory()
        first, second = _topic(), _topic()
        await producer.publish(topic=first, payload=b"for-first")
        await producer.publish(topic=second, payload=b"for-second")
        assert (await _receive(get_message, second)).payload == b"for-second"
        assert (await _receive(get_message, first)).payload == b"for-first"

    async def test_a_message_reaches_no_other_topic(
        self, provider_factory: ProviderFactory
    ) -> None:
        """A message published to one topic never shows up on another.

        ``test_topics_are_isolated`` reads positively and so passed a producer that also
        copied each message to other topics. Still positive reads (no wait for an absence):
        every message carries the same key, so each topic is in publishing order, and a copy
        leaked from the other topic would be read before (or between) that topic's own.
        """
        producer, get_message = await provider_factory()
        first, second = _topic(), _topic()
        await producer.publish(topic=first, payload=b"first-1", key="same")
        await producer.publish(topic=second, payload=b"second-1", key="same")
        await producer.publish(topic=first, payload=b"first-2", key="same")
        assert (await _receive(get_message, second)).payload == b"second-1"
        assert (await _receive(get_message, first)).payload == b"first-1"
        assert (await _receive(get_message, first)).payload == b"first-2"

    async def test_order_is_preserved_per_topic(self, provider_factory: ProviderFactory) -> None:
        producer, get_message = await provider_factory()
        topic = _topic()
        sent = [f"message-{i}".encode() for i in range(5)]
        for payload in sent:
            await producer.publish(topic=topic, payload=payload, key="same-key")
        received = [(await _receive(get_message, topic)).payload for _ in sent]
        assert received == sent

    async def test_publish_error_is_raised_within_the_bound(
        self, provider_factory: ProviderFactory
    ) -> None:
        """An unreachable broker is reported within ``publish_error_within`` seconds, twice.

        Nothing bounded it before: a client with default reconnect settings took minutes to
        raise and passed. The second attempt must not wait longer than the first did.
        """
        producer, _ = await provider_factory(config={"bootstrap_servers": "localhost:9999"})
        for _ in range(2):
            await _publish_fails_within(producer, self.publish_error_within)

    async def test_publish_error_is_raised_on_every_attempt(
        self, provider_factory: ProviderFactory
    ) -> None:
        producer, _ = await provider_factory(config={"bootstrap_servers": "localhost:9999"})
        for _ in range(2):
            with pytest.raises(PublishError):
                await producer.publish(topic=_topic(), payload=b"lost", key="k")
