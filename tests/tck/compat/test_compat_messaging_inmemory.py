"""Upstream-style messaging test classes (tck_py 0.1 conventions) pass our suites unchanged.

Written the way the public ``tck_py`` 0.1 reference tests are wired (spec section 1.9): the
provider classes and the ``Test...Compliance`` subclasses live in one module, a MODULE-scoped
broker fixture is shared by the producer and consumer classes, topic queues are
``asyncio.Queue`` objects, the consumer dead-letters to one fixed topic shared by all tests, the
delayed-messaging fixture is an ``async def`` generator yielding the tuple and the class
re-declares its tests as thin ``super()`` calls. Nothing here knows about omnicloud.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from typing import Any

import pytest

from tck_py.messaging.consumer import BaseTestConsumerContract, ProcessingOutcome
from tck_py.messaging.delayed_messaging import BaseTestDelayedMessagingContract
from tck_py.messaging.producer import BaseTestProducerContract
from tck_py.shared.exceptions import PublishError
from tck_py.shared.models import ConsumedMessage

DLQ_TOPIC = "tck_dlq"


class QueueBroker:
    def __init__(self) -> None:
        self.topics: dict[str, asyncio.Queue[ConsumedMessage]] = defaultdict(asyncio.Queue)

    async def publish(self, topic: str, message: ConsumedMessage) -> None:
        await self.topics[topic].put(message)

    async def get_message(self, topic: str, timeout: float = 2.0) -> ConsumedMessage | None:
        try:
            return await asyncio.wait_for(self.topics[topic].get(), timeout=timeout)
        except TimeoutError:
            return None


class QueueProducer:
    def __init__(self, broker: QueueBroker, config: dict[str, Any] | None = None) -> None:
        self._broker = broker
        self._unreachable = "localhost:9999" in (config or {}).get("bootstrap_servers", "")

    async def publish(
        self, topic: str, payload: bytes, key: str | None = None, headers: dict | None = None
    ) -> None:
        if self._unreachable:
            raise PublishError("broker unavailable")
        await self._broker.publish(topic, ConsumedMessage(payload, key, dict(headers or {})))


class QueueConsumer:
    def __init__(self, broker: QueueBroker) -> None:
        self._broker = broker

    async def run(self, topic: str, handler: Any, config: dict[str, Any]) -> None:
        max_attempts = config.get("max_attempts", 3)
        while True:
            message = await self._broker.topics[topic].get()
            try:
                for _ in range(max_attempts):
                    try:
                        outcome = await handler(message)
                    except Exception:
                        outcome = ProcessingOutcome.RETRY
                    if outcome in (ProcessingOutcome.SUCCESS, ProcessingOutcome.FAIL):
                        break
            except asyncio.CancelledError:
                # Beyond upstream's reference consumer (at most once): stopped mid-handling,
                # the message goes back for the next consumer, as our consumer suite requires.
                self._broker.topics[topic].put_nowait(message)
                raise
            if outcome != ProcessingOutcome.SUCCESS:
                await self._broker.publish(DLQ_TOPIC, message)


class DelayedPublisher:
    def __init__(self, broker: QueueBroker) -> None:
        self._broker = broker
        self._waiting: list[tuple[float, str, ConsumedMessage]] = []
        self._task = asyncio.create_task(self._loop())

    async def publish(self, topic, payload, key=None, headers=None, delay_seconds=None):
        message = ConsumedMessage(payload, key, dict(headers or {}))
        if not delay_seconds:
            await self._broker.publish(topic, message)
        else:
            self._waiting.append((time.monotonic() + delay_seconds, topic, message))

    async def _loop(self) -> None:
        while True:
            now = time.monotonic()
            for item in [w for w in self._waiting if w[0] <= now]:
                self._waiting.remove(item)
                await self._broker.publish(item[1], item[2])
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@pytest.fixture(scope="module")
def shared_broker() -> QueueBroker:
    return QueueBroker()


class TestQueueProducerCompliance(BaseTestProducerContract):
    @pytest.fixture
    def provider_factory(self, shared_broker):
        async def _factory(config=None):
            producer = QueueProducer(shared_broker, config=config)

            async def get_message_from_topic(topic, timeout=2.0):
                return await shared_broker.get_message(topic, timeout)

            return producer, get_message_from_topic

        return _factory


class TestQueueConsumerCompliance(BaseTestConsumerContract):
    @pytest.fixture
    def provider_factory(self, shared_broker):
        async def _factory(handler=None, topic=None, consumer_config=None, config=None):
            task = asyncio.create_task(
                QueueConsumer(shared_broker).run(topic, handler, consumer_config or {})
            )

            async def publish_func(payload, key=None, headers=None):
                await QueueProducer(shared_broker).publish(topic, payload, key, headers)

            async def get_message_from_dlq(timeout):
                return await shared_broker.get_message(DLQ_TOPIC, timeout)

            return task, publish_func, get_message_from_dlq

        return _factory


class TestQueueDelayedMessagingCompliance(BaseTestDelayedMessagingContract):
    @pytest.fixture
    async def provider_factory(self):
        broker = QueueBroker()
        publisher = DelayedPublisher(broker)

        async def publish_func(topic, payload, key=None, headers=None, delay_seconds=None):
            await publisher.publish(topic, payload, key, headers, delay_seconds)

        async def get_message_from_topic(topic):
            return await broker.topics[topic].get()

        yield publish_func, get_message_from_topic
        await publisher.stop()

    async def test_message_is_delivered_after_delay(self, provider_factory):
        await super().test_message_is_delivered_after_delay(provider_factory)

    async def test_message_without_delay_is_delivered_immediately(self, provider_factory):
        await super().test_message_without_delay_is_delivered_immediately(provider_factory)

    async def test_delayed_message_retains_key_and_headers(self, provider_factory):
        await super().test_delayed_message_retains_key_and_headers(provider_factory)
