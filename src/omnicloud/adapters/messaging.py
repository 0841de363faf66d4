"""Fixtures for the messaging contracts (producer, consumer, delayed_messaging) from a broker.

The messaging suites need more than a provider object: a way to read what was published, to
start a consumer, to read its dead-letter queue. So for these contracts the configured
``factory`` (called with the provider's ``options``) returns a **broker**: an object offering the
members below that its contract uses. One broker is created per test, on first use, and shared by
every factory call of that test (so the consumer suite's two-topic test talks to one broker).
Each member may be sync or async (results are awaited when awaitable); ``close()``/``aclose()``
on the broker, producers, consumers and delayed publishers is called after each test when
present (a consumer with only ``cancel()`` is cancelled).

=====================  ============================================  =========================
member                 what it does                                  used by
=====================  ============================================  =========================
``producer(config)``   a producer with async ``publish(topic=,       producer, consumer
                       payload=, key=None, headers=None)``;
                       ``config`` is ``None`` or the dict the test
                       passes (``{"bootstrap_servers": ...}``:
                       an unreachable broker, whose ``publish``
                       must raise ``PublishError``)
``get_message(topic,   the next message on ``topic`` (``.payload``,  producer, consumer,
timeout)``             ``.key``, ``.headers``), or ``None`` after    delayed_messaging
                       ``timeout`` seconds
``consumer(handler,    starts consuming ``topic``; returns the       consumer
topic, config)``       running consumer (``cancel()``, e.g. a Task)
``dead_letter_topic(   the topic where ``consumer`` dead-letters     consumer
topic, config)``       messages of ``topic``
``delayed_publisher()``  an object with async ``publish(topic=,      delayed_messaging
                       payload=, key=None, headers=None,
                       delay_seconds=None)``
=====================  ============================================  =========================

``omnicloud.providers.memory.messaging.InMemoryBroker`` is the reference implementation. A
Kafka or NATS wrapper typically implements ``get_message`` with a short-lived consumer.

One option key is read by the adapter and NOT passed to the factory: ``publish_error_within``
(producer contract), the seconds within which ``publish`` to an unreachable broker must raise
``PublishError`` (the suite's ``publish_error_within``, 5.0 by default), for a provider whose
client cannot fail faster::

    [providers.my-kafka]
    contract = "producer"
    factory = "my_pkg.kafka:create_broker"
    options = { bootstrap_servers = "{services.kafka.url}", publish_error_within = 12.0 }
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest

from omnicloud.adapters.runtime import ProviderRuntime, close_quietly, instantiate
from omnicloud.errors import ConfigError

READ_POLL = 1.0  # seconds per get_message call while a delayed-messaging test blocks on a topic
PUBLISH_ERROR_WITHIN = "publish_error_within"
#: Options this adapter consumes itself (the factory never receives them).
ADAPTER_OPTIONS = (PUBLISH_ERROR_WITHIN,)


def factory_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options the factory receives: all but the adapter's own."""
    return {k: v for k, v in options.items() if k not in ADAPTER_OPTIONS}


def suite_attributes(runtime: ProviderRuntime) -> dict[str, Any]:
    """Suite attributes set from the provider's options: ``publish_error_within`` (producer)."""
    if PUBLISH_ERROR_WITHIN not in runtime.raw_options:
        return {}
    value = runtime.raw_options[PUBLISH_ERROR_WITHIN]
    key = f"providers.{runtime.name}.options.{PUBLISH_ERROR_WITHIN}"
    if runtime.contract.name != "producer":
        raise ConfigError(
            f"{key}: only the producer contract has this bound, not '{runtime.contract.name}'",
            hint=f"remove '{PUBLISH_ERROR_WITHIN}' from the options",
        )
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(
            f"{key}: must be a positive number of seconds, got {value!r}",
            hint=f"{PUBLISH_ERROR_WITHIN} = 5.0 (the default)",
        )
    return {PUBLISH_ERROR_WITHIN: float(value)}


class _Session:
    """Everything created for one test; closed in reverse order afterwards."""

    def __init__(self, runtime: ProviderRuntime) -> None:
        self.runtime = runtime
        self.created: list[Any] = []
        self._broker: Any = None

    async def make(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        obj = await instantiate(call, *args, **kwargs)
        self.created.append(obj)
        return obj

    async def broker(self) -> Any:
        """The test's broker: created on first use, shared by every factory call of the test."""
        if self._broker is None:
            self._broker = await instantiate(
                self.runtime.factory, **factory_options(self.runtime.options)
            )
            self.created.append(self._broker)
        return self._broker

    async def close(self) -> None:
        for obj in reversed(self.created):
            cancel = getattr(obj, "cancel", None)
            if callable(cancel) and not hasattr(obj, "close") and not hasattr(obj, "aclose"):
                cancel()
                continue
            await close_quietly(obj)


def _producer_factory(session: _Session) -> Callable[..., Awaitable[Any]]:
    async def factory(config: dict[str, Any] | None = None) -> tuple[Any, Any]:
        broker = await session.broker()
        producer = await session.make(broker.producer, config)

        async def get_message_from_topic(topic: str, timeout: float = 2.0) -> Any:
            return await instantiate(broker.get_message, topic, timeout)

        return producer, get_message_from_topic

    return factory


def _consumer_factory(session: _Session) -> Callable[..., Awaitable[Any]]:
    async def factory(
        handler: Callable[..., Awaitable[Any]], topic: str, consumer_config: dict[str, Any]
    ) -> tuple[Any, Any, Any]:
        broker = await session.broker()
        consumer = await session.make(broker.consumer, handler, topic, consumer_config)
        producer = await session.make(broker.producer, None)
        dead_letters = await instantiate(broker.dead_letter_topic, topic, consumer_config)

        async def publish(
            payload: bytes, key: str | None = None, headers: dict[str, Any] | None = None
        ) -> None:
            await producer.publish(topic=topic, payload=payload, key=key, headers=headers)

        async def get_message_from_dlq(timeout: float = 2.5) -> Any:
            return await instantiate(broker.get_message, dead_letters, timeout)

        return consumer, publish, get_message_from_dlq

    return factory


async def _delayed_pair(session: _Session) -> tuple[Any, Any]:
    broker = await session.broker()
    publisher = await session.make(broker.delayed_publisher)

    async def publish(
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: dict[str, Any] | None = None,
        delay_seconds: float | None = None,
    ) -> None:
        await publisher.publish(
            topic=topic, payload=payload, key=key, headers=headers, delay_seconds=delay_seconds
        )

    async def get_message_from_topic(topic: str) -> Any:
        while True:  # the suite bounds this with asyncio.wait_for
            message = await instantiate(broker.get_message, topic, READ_POLL)
            if message is not None:
                return message
            await asyncio.sleep(0)

    return publish, get_message_from_topic


def build_fixtures(runtime: ProviderRuntime) -> dict[str, Any]:
    """``provider_factory`` in the shape the runtime's messaging contract expects."""
    contract = runtime.contract.name

    async def provider_factory(self: Any) -> AsyncIterator[Any]:
        session = _Session(runtime)
        try:
            if contract == "producer":
                yield _producer_factory(session)
            elif contract == "consumer":
                yield _consumer_factory(session)
            elif contract == "delayed_messaging":
                yield await _delayed_pair(session)
            else:
                raise LookupError(
                    f"omnicloud.adapters.messaging cannot serve contract {contract!r}"
                )
        finally:
            await session.close()

    return {
        "provider_factory": pytest.fixture(name="provider_factory")(provider_factory),
        **suite_attributes(runtime),
    }
