"""The RabbitMQ store and broker certified by every interface suite and messaging contract
they claim, against a real broker (one module: the node boots once per session).

One RabbitMQ node per test session (it takes tens of seconds to boot on a busy 2-core
machine), started by the process provisioner's ``rabbitmq`` service kind: free AMQP and
distribution ports, a private Erlang port mapper (epmd) in the node's process group, data and
logs in a private state directory. Stopping the group stops both, so neither the node nor epmd
outlives the tests.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

import aio_pika
import pytest
from backend_suites import Opener, StoreProvider, closing_factory, process_service

from omnicloud.adapters.messaging import build_fixtures
from omnicloud.adapters.runtime import ProviderRuntime
from omnicloud.contracts import CONTRACTS
from omnicloud.providers.rabbitmq import (
    IMPLEMENTS,
    RabbitBroker,
    RabbitStore,
    create_broker,
    create_store,
)
from omnicloud.providers.rabbitmq._base import connect
from omnicloud.providers.rabbitmq.messaging import RabbitConsumer, decode_message
from service_guard import require_binary
from tck_py.interfaces._support import InterfaceSuite
from tck_py.interfaces.catalog import INTERFACES
from tck_py.interfaces.pubsub import (
    BaseTestPubSubBasicInterface,
    BaseTestPubSubFilteringInterface,
    BaseTestPubSubOrderingInterface,
    BaseTestPubSubWildcardsInterface,
)
from tck_py.interfaces.queue import (
    BaseTestQueueBasicInterface,
    BaseTestQueueDeadLetterInterface,
    BaseTestQueueDelayedInterface,
    BaseTestQueuePriorityInterface,
    BaseTestQueueVisibilityInterface,
)
from tck_py.messaging.consumer import BaseTestConsumerContract
from tck_py.messaging.delayed_messaging import BaseTestDelayedMessagingContract
from tck_py.messaging.producer import BaseTestProducerContract

# One worker runs the whole module under --dist loadgroup: the node boots once, not per worker.
pytestmark = [
    pytest.mark.services("rabbitmq"),
    pytest.mark.slow,
    pytest.mark.xdist_group("rabbitmq"),
]

Factory = Callable[..., Awaitable[Any]]


@pytest.fixture(scope="session")
def rabbitmq_url() -> Iterator[str]:
    """The session's RabbitMQ node, started by the process provisioner (the ``rabbitmq``
    service kind); stopped with its epmd, files removed, at the end."""
    require_binary("epmd", "erlang-base")
    require_binary("rabbitmq-server", "rabbitmq-server")
    with process_service("rabbitmq") as endpoint:
        yield str(endpoint["url"])


@pytest.fixture
def open_store(rabbitmq_url: str) -> Opener:
    """Fresh stores on the test's loop (closed, queues and exchanges deleted, afterwards)."""
    return functools.partial(create_store, url=rabbitmq_url, prefix="tck.")


class TestRabbitQueueBasic(StoreProvider, BaseTestQueueBasicInterface):
    pass


class TestRabbitQueueVisibility(StoreProvider, BaseTestQueueVisibilityInterface):
    pass


class TestRabbitQueueDeadLetter(StoreProvider, BaseTestQueueDeadLetterInterface):
    pass


class TestRabbitQueuePriority(StoreProvider, BaseTestQueuePriorityInterface):
    pass


class TestRabbitQueueDelayed(StoreProvider, BaseTestQueueDelayedInterface):
    pass


class TestRabbitPubSubBasic(StoreProvider, BaseTestPubSubBasicInterface):
    pass


class TestRabbitPubSubWildcards(StoreProvider, BaseTestPubSubWildcardsInterface):
    pass


class TestRabbitPubSubFiltering(StoreProvider, BaseTestPubSubFilteringInterface):
    pass


class TestRabbitPubSubOrdering(StoreProvider, BaseTestPubSubOrderingInterface):
    pass


# -- broken stores: each real-broker bug below must be caught by the suite ----------------------
class _GreaterThanAsHash(RabbitStore):
    """Translates a final '>' to AMQP '#', which also matches zero words: the root itself."""

    async def subscribe_pattern(self, pattern: str, subscriber_id: str) -> None:
        queue = await self._subscriber(subscriber_id)
        await queue.bind(await self._topics(), routing_key=pattern.replace(">", "#"))


class _FilterMatchingAny(RabbitStore):
    """Binds filters with ``x-match = any``: one matching pair is enough."""

    async def subscribe_filtered(
        self, topic: str, subscriber_id: str, filter: Mapping[str, str]
    ) -> None:
        await self._topics()
        queue = await self._subscriber(subscriber_id)
        await queue.bind(f"{self._ns}attributes", arguments={"x-match": "any", **filter})


class _PriorityIgnored(RabbitStore):
    """Enqueues every message at the same AMQP priority."""

    async def queue_enqueue_with_priority(
        self, queue: str, payload: bytes, priority: int, metadata: Mapping[str, str] | None = None
    ) -> str:
        return await self.queue_enqueue(queue, payload, metadata)


class _QueueDelayAsPerMessageTtl(RabbitStore):
    """One waiting queue per queue, a TTL per message: the head blocks earlier-due messages."""

    async def queue_enqueue_delayed(
        self, queue: str, payload: bytes, delay: float, metadata: Mapping[str, str] | None = None
    ) -> str:
        target = await self._queue(queue)
        waiting = await self._declare_queue(
            self._name("delay", queue),
            durable=True,
            arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": target.name},
        )
        message_id, message = self._message(payload, 10, metadata)
        message.expiration = delay
        await self._channel.default_exchange.publish(message, routing_key=waiting.name)
        return message_id


BROKEN: list[tuple[type[RabbitStore], Callable[[Factory], Awaitable[None]]]] = [
    (
        _GreaterThanAsHash,
        BaseTestPubSubWildcardsInterface().test_gt_matches_one_or_more_trailing_tokens,
    ),
    (_FilterMatchingAny, BaseTestPubSubFilteringInterface().test_every_filter_pair_must_match),
    (_PriorityIgnored, BaseTestQueuePriorityInterface().test_higher_priority_first),
    (
        _QueueDelayAsPerMessageTtl,
        BaseTestQueueDelayedInterface().test_earlier_due_is_not_held_back,
    ),
]


@pytest.mark.parametrize(("broken", "test"), BROKEN, ids=[b.__name__ for b, _ in BROKEN])
async def test_the_suites_catch_a_broken_rabbitmq_store(
    rabbitmq_url: str, broken: type[RabbitStore], test: Callable[[Factory], Awaitable[None]]
) -> None:
    async def open_broken(**options: Any) -> RabbitStore:
        connection, channel = await connect(rabbitmq_url)
        return broken(connection, channel, "tck.", **options)

    async with closing_factory(open_broken) as factory:
        with pytest.raises(AssertionError):
            await test(factory)


# -- the broker: producer, consumer and delayed messaging, through omnicloud's adapter ---------
_ENDPOINT: dict[str, str] = {}


def _broker_fixture(contract: str) -> Any:
    runtime = ProviderRuntime(
        f"rabbitmq-{contract}",
        CONTRACTS[contract],
        create_broker,
        {"prefix": "tck."},
        resolve=lambda raw: {**raw, "url": _ENDPOINT["url"]},
    )
    return build_fixtures(runtime)["provider_factory"]


class _OnRabbit:
    @pytest.fixture(autouse=True)
    def _endpoint(self, rabbitmq_url: str) -> Iterator[None]:
        _ENDPOINT["url"] = rabbitmq_url
        yield
        _ENDPOINT.clear()


class TestRabbitProducer(_OnRabbit, BaseTestProducerContract):
    provider_factory = _broker_fixture("producer")


class TestRabbitConsumer(_OnRabbit, BaseTestConsumerContract):
    provider_factory = _broker_fixture("consumer")


class TestRabbitDelayedMessaging(_OnRabbit, BaseTestDelayedMessagingContract):
    provider_factory = _broker_fixture("delayed_messaging")


class _DelayAsPerMessageTtl(RabbitBroker):
    """The design docs/backends/rabbitmq.md rejects: one delay queue, a TTL per message."""

    async def put_delayed(self, topic: str, message: Any, delay_ms: int) -> None:
        target = await self._topic_queue(topic)
        waiting = await self._declare_queue(
            self._name("delay", topic),
            durable=True,
            arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": target.name},
        )
        message.expiration = delay_ms / 1000
        await self._channel.default_exchange.publish(message, routing_key=waiting.name)


async def test_the_delayed_suite_catches_per_message_ttl_head_of_line_blocking(
    rabbitmq_url: str,
) -> None:
    connection, channel = await connect(rabbitmq_url)
    broker = _DelayAsPerMessageTtl(connection, channel, "tck.")
    publisher = broker.delayed_publisher()

    async def get_message(topic: str) -> Any:
        while (found := await broker.get_message(topic, 1.0)) is None:
            pass
        return found

    try:
        # Held back, the early message either misses its deadline (a failure) or arrives
        # after the late one (an assertion): the suite catches the blocking either way.
        with pytest.raises((AssertionError, pytest.fail.Exception)):
            await BaseTestDelayedMessagingContract().test_earlier_due_message_is_not_held_back(
                (publisher.publish, get_message)
            )
    finally:
        await broker.aclose()


class _AckFirstConsumer(RabbitConsumer):
    """Acknowledges a message when it arrives, before the handler has it."""

    async def _handle(self, message: Any) -> None:
        await message.ack()
        await self._deliver(decode_message(message))


async def test_the_consumer_suite_catches_a_consumer_that_acks_on_receipt(
    rabbitmq_url: str,
) -> None:
    connection, channel = await connect(rabbitmq_url)
    broker = RabbitBroker(connection, channel, "tck.", url=rabbitmq_url)
    consumers: list[RabbitConsumer] = []

    async def factory(handler: Any, topic: str, config: dict[str, Any]) -> tuple[Any, Any, Any]:
        consumers.append(_AckFirstConsumer(broker, handler, topic, config))
        producer = await broker.producer(None)

        async def publish(payload: bytes, key: str | None = None, headers: Any = None) -> None:
            await producer.publish(topic=topic, payload=payload, key=key, headers=headers)

        async def dead_letters(timeout: float = 2.5) -> Any:
            return await broker.get_message(broker.dead_letter_topic(topic, config), timeout)

        return consumers[-1], publish, dead_letters

    try:
        with pytest.raises(pytest.fail.Exception):
            await (
                BaseTestConsumerContract().test_unacknowledged_message_survives_a_consumer_restart(
                    factory
                )
            )
    finally:
        for consumer in consumers:
            await consumer.aclose()
        await broker.aclose()


def test_every_claimed_interface_has_a_suite_class_here() -> None:
    tested = {
        cls.interface
        for cls in globals().values()
        if isinstance(cls, type)
        and issubclass(cls, StoreProvider)
        and issubclass(cls, InterfaceSuite)
    }
    assert tested == set(IMPLEMENTS)
    assert set(IMPLEMENTS) <= set(INTERFACES)


async def test_close_deletes_every_queue_of_the_instance_and_only_those(rabbitmq_url: str) -> None:
    kept = await create_store(url=rabbitmq_url, prefix="tck.")
    try:
        closed = await create_store(url=rabbitmq_url, prefix="tck.")
        for store in (kept, closed):
            await store.queue_enqueue("q", b"x")
            await store.queue_enqueue_delayed("q", b"later", 30)
            await store.subscribe("t", "s")
        names = list(closed._queues)
        await closed.aclose()
        for name in names:
            connection, channel = await connect(rabbitmq_url)
            try:
                with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
                    await channel.declare_queue(name, passive=True)
            finally:
                await connection.close()
        assert await kept.queue_scheduled_count("q") == 1
        assert await kept.queue_peek("q") is not None
    finally:
        await kept.aclose()
