"""In-memory message broker: producer, consumer with retries and dead-lettering, delayed delivery.

The reference provider of the ``producer``, ``consumer`` and ``delayed_messaging`` contracts, and
the embedded default for applications that want a message bus inside one process:

    [providers.memory-producer]
    contract = "producer"
    factory = "omnicloud.providers.memory.messaging:InMemoryBroker"

(the same factory certifies ``consumer`` and ``delayed_messaging``). The broker implements the
messaging adapter's broker convention (see ``omnicloud.adapters.messaging``): ``producer(config)``,
``get_message(topic, timeout)``, ``consumer(handler, topic, config)``,
``dead_letter_topic(topic, config)`` and ``delayed_publisher()``.

Brokers created with the same ``namespace=`` share their topics (producers and consumers of one
process meeting on one bus); without one a broker is private. Brokers are addressed like servers:
``InMemoryBroker(address="memory://orders")``. A producer configured with ``bootstrap_servers``
that do not include the broker's address cannot reach it, and its ``publish`` raises
``PublishError``, as a network client would.

Topics are not bound to an event loop: a broker may be shared by tests that each run their own
loop. Delayed messages are timers on the publishing loop (``loop.call_at``), so each is delivered
at its own due time, never early and never held behind a message due later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Mapping
from typing import Any

from omnicloud.providers.delivery import Handler, RetryingConsumer
from omnicloud.providers.memory import SharedStores
from tck_py.shared.exceptions import PublishError
from tck_py.shared.models import ConsumedMessage

log = logging.getLogger(__name__)

DEFAULT_ADDRESS = "memory://local"


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class Topic:
    """A FIFO of messages that any event loop (or several, one after the other) can wait on."""

    def __init__(self) -> None:
        self._messages: deque[ConsumedMessage] = deque()
        self._waiters: list[asyncio.Future[None]] = []

    def __len__(self) -> int:
        return len(self._messages)

    def put(self, message: ConsumedMessage, *, first: bool = False) -> None:
        if first:
            self._messages.appendleft(message)
        else:
            self._messages.append(message)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            # Waking through the waiter's own loop keeps this correct across loops and threads.
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
                waiter.get_loop().call_soon_threadsafe(_wake, waiter)

    async def get(self, timeout: float | None = None) -> ConsumedMessage | None:
        """The next message, waiting up to ``timeout`` seconds (forever when ``None``)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not self._messages:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return None
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                return None
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        return self._messages.popleft()


def _message(payload: bytes, key: str | None, headers: Mapping[str, Any] | None) -> ConsumedMessage:
    if not isinstance(payload, bytes | bytearray):
        raise TypeError(f"payload must be bytes, got {type(payload).__name__}")
    return ConsumedMessage(payload=bytes(payload), key=key, headers=dict(headers or {}))


class InMemoryProducer:
    """Publishes to a broker; ``publish`` raises ``PublishError`` when the broker is unreachable."""

    def __init__(self, broker: InMemoryBroker, config: Mapping[str, Any] | None = None) -> None:
        self._broker = broker
        self._unreachable = broker.unreachable_reason(config or {})

    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        await asyncio.sleep(0)
        if self._unreachable:
            raise PublishError(self._unreachable)
        self._broker.topic(topic).put(_message(payload, key, headers))


class InMemoryConsumer(RetryingConsumer):
    """Consumes one topic in a background task until cancelled; delivery as in
    ``omnicloud.providers.delivery`` (retries, then the dead-letter topic)."""

    def __init__(
        self, broker: InMemoryBroker, handler: Handler, topic: str, config: Mapping[str, Any]
    ) -> None:
        super().__init__(broker, handler, topic, config)
        self._broker = broker
        self._start()

    async def _run(self) -> None:
        source = self._broker.topic(self._topic)
        while True:
            message = await source.get()
            if message is not None:
                await self._deliver(message)
            await asyncio.sleep(0)  # fairness: a busy topic must not starve the event loop

    async def _to_dead_letter(self, message: ConsumedMessage) -> None:
        self._dead_letter(message)

    async def _give_back(self, message: ConsumedMessage) -> None:
        self._broker.topic(self._topic).put(message, first=True)

    def _dead_letter(self, message: ConsumedMessage) -> None:
        self._broker.topic(self._dead_letter_topic).put(message)


class InMemoryDelayedPublisher:
    """Publishes now, or after ``delay_seconds``, with one timer per delayed message."""

    def __init__(self, broker: InMemoryBroker) -> None:
        self._broker = broker
        self._timers: set[asyncio.TimerHandle] = set()

    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
        delay_seconds: float | None = None,
    ) -> None:
        message = _message(payload, key, headers)
        if not delay_seconds or delay_seconds <= 0:
            self._broker.topic(topic).put(message)
            return
        self._schedule(topic, message, delay_seconds)

    def _schedule(self, topic: str, message: ConsumedMessage, delay_seconds: float) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + delay_seconds

        def deliver() -> None:
            self._timers.discard(timer)
            self._broker.topic(topic).put(message)

        timer = loop.call_at(due, deliver)
        self._timers.add(timer)

    def pending(self) -> int:
        return len(self._timers)

    def close(self) -> None:
        """Drop the messages that are not due yet."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()


_TOPICS: SharedStores[dict[str, Topic]] = SharedStores(dict)


class InMemoryBroker:
    """Topics by name, at one address; hands out producers, consumers and delayed publishers."""

    topic_class: type[Topic] = Topic
    producer_class: type[InMemoryProducer] = InMemoryProducer
    consumer_class: type[InMemoryConsumer] = InMemoryConsumer
    delayed_publisher_class: type[InMemoryDelayedPublisher] = InMemoryDelayedPublisher

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        dead_letter_suffix: str = ".dlq",
        namespace: str | None = None,
    ) -> None:
        self.address = address
        self._dead_letter_suffix = dead_letter_suffix
        self._topics = _TOPICS.get(namespace)
        self._consumers: list[InMemoryConsumer] = []
        self._publishers: list[InMemoryDelayedPublisher] = []

    def topic(self, name: str) -> Topic:
        topic = self._topics.get(name)
        if topic is None:  # setdefault: brokers sharing a namespace may race to create it
            topic = self._topics.setdefault(name, self.topic_class())
        return topic

    def unreachable_reason(self, config: Mapping[str, Any]) -> str | None:
        servers = config.get("bootstrap_servers")
        if servers is None:
            return None
        wanted = [s.strip() for s in str(servers).split(",") if s.strip()]
        if self.address in wanted:
            return None
        return f"no broker reachable at {servers!r} (this broker is {self.address!r})"

    def producer(self, config: Mapping[str, Any] | None = None) -> InMemoryProducer:
        return self.producer_class(self, config)

    async def get_message(self, topic: str, timeout: float = 2.0) -> ConsumedMessage | None:
        return await self.topic(topic).get(timeout)

    def consumer(
        self, handler: Handler, topic: str, config: Mapping[str, Any] | None = None
    ) -> InMemoryConsumer:
        consumer = self.consumer_class(self, handler, topic, config or {})
        self._consumers.append(consumer)
        return consumer

    def dead_letter_topic(self, topic: str, config: Mapping[str, Any] | None = None) -> str:
        configured = (config or {}).get("dead_letter_topic")
        return str(configured) if configured else f"{topic}{self._dead_letter_suffix}"

    def delayed_publisher(self) -> InMemoryDelayedPublisher:
        publisher = self.delayed_publisher_class(self)
        self._publishers.append(publisher)
        return publisher

    async def aclose(self) -> None:
        """Stop every consumer and drop pending delayed messages."""
        for publisher in self._publishers:
            publisher.close()
        for consumer in self._consumers:
            consumer.cancel()
        loop = asyncio.get_running_loop()
        tasks = [c.task for c in self._consumers if c.task.get_loop() is loop]
        if tasks:
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await asyncio.gather(*tasks, return_exceptions=True)
        self._consumers.clear()
        self._publishers.clear()
