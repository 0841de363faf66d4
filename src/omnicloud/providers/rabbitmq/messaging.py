"""RabbitMQ message broker (contracts ``producer``, ``consumer`` and ``delayed_messaging``).

A topic is a durable queue (``<ns>t.<topic>``); consumers of one topic compete for its
messages (RabbitMQ round-robins them). A publish waits for RabbitMQ's publisher confirm, so it
returns only once the broker has the message; an unreachable broker or a refused message is a
``PublishError`` within ``publish_timeout`` seconds (default 5).

A consumer has its own channel (prefetch 1) and acknowledges a message only after the shared
retry policy (:mod:`omnicloud.providers.delivery`) is done with it: handled, or moved (publish
with confirm, then ack) to the dead-letter topic ``<topic>.dlq``. A consumer stopped while its
handler holds a message rejects it back into place; were that lost, closing the channel hands
every unacknowledged message back to the queue (at least once).

Delayed messages wait in a queue per (delay in ms, topic) whose messages all share that TTL
(``x-message-ttl``) and, when it runs out, are dead-lettered to the topic's queue. All messages
of one such queue expire in the order they arrived, so an earlier-due message is never held
behind a later-due one: the head-of-line blocking of per-message TTLs does not arise. The cost
is one queue per distinct delay and topic; idle ones expire a minute after their last message
(``x-expires``). Dead-lettering of classic queues is at most once (a node crash at that instant
loses the message) and is RabbitMQ's own; nothing else in this provider is.

```toml
[providers.rabbitmq-producer]
contract = "producer"   # the same factory certifies "consumer" and "delayed_messaging"
factory = "omnicloud.providers.rabbitmq:create_broker"
options = { url = "{services.rabbitmq.url}", prefix = "{services.rabbitmq.prefix}" }
services = ["rabbitmq"]
```
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import math
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from omnicloud.providers.delivery import (
    Handler,
    RetryingConsumer,
    close_children,
    dead_letter_topic,
)
from omnicloud.providers.rabbitmq._base import DEFAULT_URL, RabbitBase, connect
from omnicloud.providers.rabbitmq._client import aio_pika
from tck_py.shared.exceptions import PublishError
from tck_py.shared.models import ConsumedMessage

log = logging.getLogger(__name__)

KEY_HEADER = "omnicloud-key"
HEADERS_HEADER = "omnicloud-headers"
DEFAULT_PUBLISH_TIMEOUT = 5.0
POLL = 0.02
#: Seconds an idle delay queue outlives its last message's due time.
DELAY_QUEUE_IDLE = 60.0


def encode_message(payload: bytes, key: str | None, headers: Mapping[str, Any] | None) -> Any:
    """An AMQP message carrying the key and the application headers (str or bytes values)."""
    if not isinstance(payload, bytes | bytearray):
        raise TypeError(f"payload must be bytes, got {type(payload).__name__}")
    encoded = {
        k: {"b": base64.b64encode(v).decode()} if isinstance(v, bytes) else {"s": str(v)}
        for k, v in (headers or {}).items()
    }
    return aio_pika().Message(
        bytes(payload),
        headers={KEY_HEADER: json.dumps(key), HEADERS_HEADER: json.dumps(encoded)},
        delivery_mode=aio_pika().DeliveryMode.PERSISTENT,
    )


def decode_message(message: Any) -> ConsumedMessage:
    found = message.headers or {}
    text = {k: v.decode() if isinstance(v, bytes) else v for k, v in found.items()}
    raw = json.loads(text.get(HEADERS_HEADER) or "{}")
    decoded = {k: base64.b64decode(v["b"]) if "b" in v else v["s"] for k, v in raw.items()}
    return ConsumedMessage(bytes(message.body), json.loads(text.get(KEY_HEADER) or "null"), decoded)


class RabbitProducer:
    """Publishes with publisher confirms; any failure to hand over is ``PublishError``."""

    def __init__(self, broker: RabbitBroker, url: str | None, timeout: float) -> None:
        self._broker = broker
        self._url = url  # None: the broker's own channel
        self._timeout = timeout

    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        message = encode_message(payload, key, headers)
        try:
            await asyncio.wait_for(self._send(topic, message), self._timeout)
        except Exception as exc:  # refused, unroutable, closed, timed out: not accepted
            raise PublishError(f"cannot publish to {topic!r}: {exc!r}") from exc

    async def _send(self, topic: str, message: Any) -> None:
        if self._url is None:
            await self._broker.put(topic, message)
            return
        connection, channel = await connect(self._url, self._timeout)
        try:
            await channel.default_exchange.publish(message, routing_key=topic, mandatory=True)
        finally:
            await connection.close()


class RabbitConsumer(RetryingConsumer):
    """Consumes its topic's queue on a channel of its own (see the module docstring)."""

    stop_grace = 5.0

    def __init__(
        self, broker: RabbitBroker, handler: Handler, topic: str, config: Mapping[str, Any]
    ) -> None:
        super().__init__(broker, handler, topic, config)
        self._broker = broker
        self._current: Any = None
        self._start()

    async def _run(self) -> None:
        channel = await self._broker.open_channel()
        try:
            await channel.set_qos(prefetch_count=1)
            queue = await channel.declare_queue(self._broker.queue_name(self._topic), durable=True)
            async with queue.iterator() as messages:
                async for message in messages:
                    await self._handle(message)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(channel.close())

    async def _handle(self, message: Any) -> None:
        self._current = message
        try:
            await self._deliver(decode_message(message))
        finally:
            self._current = None
        await message.ack()

    async def _give_back(self, message: ConsumedMessage) -> None:
        del message
        if self._current is not None:
            with contextlib.suppress(Exception):
                await self._current.nack(requeue=True)

    async def _to_dead_letter(self, message: ConsumedMessage) -> None:
        await self._broker.put(
            self._dead_letter_topic, encode_message(message.payload, message.key, message.headers)
        )


class RabbitDelayedPublisher:
    """Publishes now, or into the TTL queue of its (delay, topic) pair."""

    def __init__(self, broker: RabbitBroker) -> None:
        self._broker = broker

    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
        delay_seconds: float | None = None,
    ) -> None:
        message = encode_message(payload, key, headers)
        if not delay_seconds or delay_seconds <= 0:
            await self._broker.put(topic, message)
            return
        await self._broker.put_delayed(topic, message, math.ceil(delay_seconds * 1000))

    async def aclose(self) -> None:
        """Nothing runs in the client: RabbitMQ moves due messages itself."""


class RabbitBroker(RabbitBase):
    """Topics are durable queues under the instance's name prefix."""

    def __init__(self, connection: Any, channel: Any, prefix: str = "", **options: Any) -> None:
        super().__init__(connection, channel, prefix)
        self._url = str(options.get("url", DEFAULT_URL))
        self._publish_timeout = float(options.get("publish_timeout", DEFAULT_PUBLISH_TIMEOUT))
        self._children: list[Any] = []

    def queue_name(self, topic: str) -> str:
        return self._name("t", topic)

    async def open_channel(self) -> Any:
        return await self._connection.channel()

    async def _topic_queue(self, topic: str) -> Any:
        return await self._declare_queue(self.queue_name(topic), durable=True)

    async def put(self, topic: str, message: Any) -> None:
        queue = await self._topic_queue(topic)
        await self._channel.default_exchange.publish(message, routing_key=queue.name)

    async def put_delayed(self, topic: str, message: Any, delay_ms: int) -> None:
        target = await self._topic_queue(topic)
        # Declared on every publish: that resets x-expires, so the queue outlives its messages.
        waiting = await self._channel.declare_queue(
            self._name(f"delay.{delay_ms}", topic),
            durable=True,
            arguments={
                "x-message-ttl": delay_ms,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": target.name,
                "x-expires": delay_ms + int(DELAY_QUEUE_IDLE * 1000),
            },
        )
        self._queues[waiting.name] = waiting
        await self._channel.default_exchange.publish(message, routing_key=waiting.name)

    async def producer(self, config: Mapping[str, Any] | None = None) -> RabbitProducer:
        servers = (config or {}).get("bootstrap_servers")
        url = None
        if servers:  # the same credentials and virtual host, another server
            parts = urlsplit(self._url)
            credentials = parts.netloc.rpartition("@")[0]
            host = str(servers).split(",")[0].strip()
            url = urlunsplit(
                parts._replace(netloc=f"{credentials}@{host}" if credentials else host)
            )
        return RabbitProducer(self, url, self._publish_timeout)

    async def get_message(self, topic: str, timeout: float = 2.0) -> ConsumedMessage | None:
        """The next message on ``topic``, or ``None`` after ``timeout`` seconds (polled)."""
        queue = await self._topic_queue(topic)
        deadline = time.monotonic() + timeout
        while True:
            message = await queue.get(no_ack=True, fail=False)
            if message is not None:
                return decode_message(message)
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(POLL)

    def consumer(
        self, handler: Handler, topic: str, config: Mapping[str, Any] | None = None
    ) -> RabbitConsumer:
        consumer = RabbitConsumer(self, handler, topic, config or {})
        self._children.append(consumer)
        return consumer

    def dead_letter_topic(self, topic: str, config: Mapping[str, Any] | None = None) -> str:
        return dead_letter_topic(topic, config)

    def delayed_publisher(self) -> RabbitDelayedPublisher:
        return RabbitDelayedPublisher(self)

    async def aclose(self) -> None:
        """Stop the consumers, delete the broker's queues, close the connection."""
        await close_children(self._children)
        await super().aclose()


async def create_broker(
    url: str = DEFAULT_URL,
    prefix: str = "",
    publish_timeout: float = DEFAULT_PUBLISH_TIMEOUT,
    timeout: float = 5.0,
) -> RabbitBroker:
    """Factory for ``factory = "omnicloud.providers.rabbitmq:create_broker"``."""
    if publish_timeout <= 0:
        raise ValueError("publish_timeout must be > 0")
    connection, channel = await connect(url, timeout)
    return RabbitBroker(connection, channel, prefix, url=url, publish_timeout=publish_timeout)


__all__ = ["RabbitBroker", "create_broker"]
