"""The NATS JetStream broker certified by the producer, consumer and delayed-messaging
contract suites.

The suites run through the same adapter (:mod:`omnicloud.adapters.messaging`) that
``omnicloud certify`` uses, against the session's nats-server (``nats_url``, shared with
``test_nats_interfaces``); broken brokers below must each fail a suite test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

import pytest
from test_nats_interfaces import nats_url

from omnicloud.adapters.messaging import build_fixtures
from omnicloud.adapters.runtime import ProviderRuntime
from omnicloud.contracts import CONTRACTS
from omnicloud.providers.nats import NatsBroker, create_broker
from omnicloud.providers.nats._base import connect
from omnicloud.providers.nats.delayed import NatsDelayedPublisher
from omnicloud.providers.nats.messaging import NatsConsumer, decode_message
from tck_py.messaging.consumer import BaseTestConsumerContract
from tck_py.messaging.delayed_messaging import BaseTestDelayedMessagingContract
from tck_py.messaging.producer import BaseTestProducerContract
from tck_py.shared.models import ConsumedMessage

pytestmark = [pytest.mark.services("nats"), pytest.mark.xdist_group("nats")]
__all__ = ["nats_url"]  # the session fixture, imported so pytest finds it here

Factory = Callable[..., Awaitable[Any]]
_ENDPOINT: dict[str, str] = {}
OPTIONS = {"prefix": "tck-", "storage": "memory"}


def _provider_factory(contract: str) -> Any:
    runtime = ProviderRuntime(
        f"nats-{contract}",
        CONTRACTS[contract],
        create_broker,
        OPTIONS,
        resolve=lambda raw: {**raw, "url": _ENDPOINT["url"]},
    )
    return build_fixtures(runtime)["provider_factory"]


class _OnNats:
    @pytest.fixture(autouse=True)
    def _endpoint(self, nats_url: str) -> Iterator[None]:
        _ENDPOINT["url"] = nats_url
        yield
        _ENDPOINT.clear()


class TestNatsProducer(_OnNats, BaseTestProducerContract):
    provider_factory = _provider_factory("producer")


class TestNatsConsumer(_OnNats, BaseTestConsumerContract):
    provider_factory = _provider_factory("consumer")


class TestNatsDelayedMessaging(_OnNats, BaseTestDelayedMessagingContract):
    provider_factory = _provider_factory("delayed_messaging")


# -- broken brokers: each must fail the suite test named with it -------------------------------
class _OneTopicForAll(NatsBroker):
    """Ignores the topic name: every topic shares one subject."""

    def subject(self, topic: str) -> str:
        return f"{self._ns}.m.all"


class _NoRetries(NatsBroker):
    """Acknowledges after one delivery whatever the handler answered (drops retried messages)."""

    def consumer(self, handler: Any, topic: str, config: Mapping[str, Any] | None = None) -> Any:
        return super().consumer(handler, topic, {**(config or {}), "max_attempts": 1})

    def dead_letter_topic(self, topic: str, config: Mapping[str, Any] | None = None) -> str:
        return f"{topic}.nowhere"


@pytest.fixture
async def broken_broker(
    nats_url: str,
) -> AsyncIterator[Callable[[type[NatsBroker]], Awaitable[NatsBroker]]]:
    made: list[NatsBroker] = []

    async def make(kind: type[NatsBroker]) -> NatsBroker:
        made.append(await kind(await connect(nats_url), **OPTIONS).start())
        return made[-1]

    yield make
    for broker in made:
        await broker.aclose()


async def test_the_producer_suite_catches_topics_that_leak(
    broken_broker: Callable[[type[NatsBroker]], Awaitable[NatsBroker]],
) -> None:
    broker = await broken_broker(_OneTopicForAll)

    async def factory(config: dict[str, Any] | None = None) -> tuple[Any, Any]:
        return await broker.producer(config), broker.get_message

    with pytest.raises(AssertionError):
        await BaseTestProducerContract().test_topics_are_isolated(factory)


class _AckFirstConsumer(NatsConsumer):
    """Acknowledges a message when it arrives, before the handler has it."""

    async def _handle(self, msg: Any) -> None:
        await self._broker.ack(msg)
        await self._deliver(decode_message(msg.data, msg.headers))


class _AckOnReceipt(NatsBroker):
    """Its consumers lose the message they hold when stopped: it was acknowledged already."""

    def consumer(self, handler: Any, topic: str, config: Mapping[str, Any] | None = None) -> Any:
        consumer = _AckFirstConsumer(self, handler, topic, config or {})
        self._children.append(consumer)
        return consumer


class _DueTooSoon(NatsDelayedPublisher):
    """Treats every delay as ten times shorter: messages arrive early."""

    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
        delay_seconds: float | None = None,
    ) -> None:
        await super().publish(topic, payload, key, headers, delay_seconds and delay_seconds / 10)


async def test_the_delayed_suite_catches_early_delivery(
    broken_broker: Callable[[type[NatsBroker]], Awaitable[NatsBroker]],
) -> None:
    broker = await broken_broker(NatsBroker)
    publisher = _DueTooSoon(broker)

    async def get_message(topic: str) -> Any:
        while (found := await broker.get_message(topic, 1.0)) is None:
            pass
        return found

    try:
        with pytest.raises(AssertionError):
            await BaseTestDelayedMessagingContract().test_delayed_message_is_never_delivered_early(
                (publisher.publish, get_message)
            )
    finally:
        await publisher.aclose()


CONSUMER_BUGS = [
    (_NoRetries, BaseTestConsumerContract.test_retry_outcome_redelivers_message),
    (
        _AckOnReceipt,
        BaseTestConsumerContract.test_unacknowledged_message_survives_a_consumer_restart,
    ),
]


@pytest.mark.parametrize(
    ("broken", "test"), CONSUMER_BUGS, ids=[b.__name__ for b, _ in CONSUMER_BUGS]
)
async def test_the_consumer_suite_catches_a_broken_consumer(
    broken_broker: Callable[[type[NatsBroker]], Awaitable[NatsBroker]],
    broken: type[NatsBroker],
    test: Callable[[BaseTestConsumerContract, Factory], Awaitable[None]],
) -> None:
    broker = await broken_broker(broken)
    consumers: list[Any] = []

    async def factory(handler: Any, topic: str, config: dict[str, Any]) -> tuple[Any, Any, Any]:
        consumers.append(broker.consumer(handler, topic, config))
        producer = await broker.producer(None)

        async def publish(payload: bytes, key: str | None = None, headers: Any = None) -> None:
            await producer.publish(topic=topic, payload=payload, key=key, headers=headers)

        async def dead_letters(timeout: float = 2.5) -> ConsumedMessage | None:
            return await broker.get_message(broker.dead_letter_topic(topic, config), timeout)

        return consumers[-1], publish, dead_letters

    with pytest.raises(pytest.fail.Exception):
        await test(BaseTestConsumerContract(), factory)
    await asyncio.gather(*(c.aclose() for c in consumers))
