"""Pub/sub on RabbitMQ exchanges: basic, wildcards and ordering on a topic exchange, filtering
on a headers exchange behind it.

Every message is published once, to the instance's topic exchange (``<ns>topics``) with the
topic as routing key. A subscriber id is one exclusive queue (``<ns>sub.<id>``, gone with the
connection) consumed into a mailbox; ``subscribe(topic)`` binds it with the literal topic,
``subscribe_pattern`` with the pattern translated to AMQP ('*' stays, a final '>' becomes
'*.#': one or more words). RabbitMQ delivers a message to a queue once however many of its
bindings match. Filters: the topic exchange forwards everything to a headers exchange
(``<ns>attributes``, an exchange-to-exchange binding); a filtered subscription binds there with
``x-match = all`` on the filter pairs plus the topic.

Limits (``ValueError``): a topic has no empty words and no word ``*`` or ``#`` (AMQP binding
wildcards); a pattern has no word ``#``; routing keys are at most 255 bytes; metadata keys
starting with ``x-`` or ``omnicloud-`` are reserved.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from typing import Any

from omnicloud.providers.rabbitmq._base import (
    MAX_NAME,
    RabbitBase,
    check_metadata,
    user_headers,
)
from omnicloud.providers.rabbitmq._client import aio_pika
from tck_py.interfaces.models import Message

TOPIC_HEADER = "omnicloud-topic"
TIME_HEADER = "omnicloud-time"


def check_topic(topic: str) -> str:
    words = topic.split(".")
    if any(not w or w in ("*", "#") for w in words) or len(topic.encode()) > MAX_NAME:
        raise ValueError(f"invalid topic {topic!r}: non-empty words, none '*' or '#'")
    return topic


def binding_key(pattern: str) -> str:
    """A NATS-style pattern as an AMQP topic binding key."""
    words = pattern.split(".")
    for index, word in enumerate(words):
        if not word or word == "#" or (word == ">" and index != len(words) - 1):
            raise ValueError(f"invalid pattern {pattern!r}")
    if words[-1] == ">":
        words[-1:] = ["*", "#"]
    return ".".join(words)


class RabbitPubSub(RabbitBase):
    """The ``pubsub_*`` interfaces RabbitMQ serves with exchanges (see the module docstring)."""

    def __init__(self, connection: Any, channel: Any, prefix: str = "", **options: Any) -> None:
        super().__init__(connection, channel, prefix, **options)
        self._mailboxes: dict[str, asyncio.Queue[Message]] = {}
        self._subscribers: dict[str, Any] = {}
        self._exchanges_ready: asyncio.Lock = asyncio.Lock()

    async def _topics(self) -> Any:
        async with self._exchanges_ready:
            topics = await self._declare_exchange(f"{self._ns}topics", "topic")
            if f"{self._ns}attributes" not in self._exchanges:
                attributes = await self._declare_exchange(f"{self._ns}attributes", "headers")
                await attributes.bind(topics, routing_key="#")
        return topics

    def _mailbox(self, subscriber_id: str) -> asyncio.Queue[Message]:
        return self._mailboxes.setdefault(subscriber_id, asyncio.Queue())

    async def _subscriber(self, subscriber_id: str) -> Any:
        found = self._subscribers.get(subscriber_id)
        if found is not None:
            return found
        queue = await self._declare_queue(
            self._name("sub", subscriber_id), exclusive=True, auto_delete=False
        )
        mailbox = self._mailbox(subscriber_id)

        async def deliver(incoming: Any) -> None:
            headers = incoming.headers or {}
            mailbox.put_nowait(
                Message(
                    str(incoming.routing_key),
                    bytes(incoming.body),
                    user_headers(headers),
                    str(incoming.message_id or ""),
                    float(headers.get(TIME_HEADER) or time.time()),
                )
            )

        await queue.consume(deliver, no_ack=True)
        self._subscribers[subscriber_id] = queue
        return queue

    # -- pubsub_basic ---------------------------------------------------------------------------
    async def publish(
        self, topic: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        if not isinstance(payload, bytes | bytearray):
            raise TypeError(f"payload must be bytes, got {type(payload).__name__}")
        headers: dict[str, Any] = check_metadata(metadata)
        headers[TOPIC_HEADER] = check_topic(topic)
        headers[TIME_HEADER] = repr(time.time())
        message_id = uuid.uuid4().hex
        message = aio_pika().Message(bytes(payload), headers=headers, message_id=message_id)
        await (await self._topics()).publish(message, routing_key=topic)
        return message_id

    async def subscribe(self, topic: str, subscriber_id: str) -> None:
        queue = await self._subscriber(subscriber_id)
        await queue.bind(await self._topics(), routing_key=check_topic(topic))

    async def unsubscribe(self, topic: str, subscriber_id: str) -> None:
        queue = self._subscribers.get(subscriber_id)
        if queue is not None:
            await queue.unbind(await self._topics(), routing_key=check_topic(topic))

    async def receive(self, subscriber_id: str, timeout: float) -> Message | None:
        mailbox = self._mailbox(subscriber_id)
        if timeout <= 0:
            return None if mailbox.empty() else mailbox.get_nowait()
        try:
            return await asyncio.wait_for(mailbox.get(), timeout)
        except TimeoutError:
            return None

    # -- pubsub_wildcards -----------------------------------------------------------------------
    async def subscribe_pattern(self, pattern: str, subscriber_id: str) -> None:
        key = binding_key(pattern)
        queue = await self._subscriber(subscriber_id)
        await queue.bind(await self._topics(), routing_key=key)

    async def unsubscribe_pattern(self, pattern: str, subscriber_id: str) -> None:
        queue = self._subscribers.get(subscriber_id)
        if queue is not None:
            await queue.unbind(await self._topics(), routing_key=binding_key(pattern))

    # -- pubsub_ordering ------------------------------------------------------------------------
    async def publish_ordered(
        self,
        topic: str,
        payload: bytes,
        ordering_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        """RabbitMQ keeps one channel's messages in order on each queue, for every key."""
        del ordering_key
        return await self.publish(topic, payload, metadata)

    # -- pubsub_filtering -----------------------------------------------------------------------
    async def publish_with_attributes(
        self, topic: str, payload: bytes, attributes: Mapping[str, str]
    ) -> str:
        return await self.publish(topic, payload, attributes)

    async def subscribe_filtered(
        self, topic: str, subscriber_id: str, filter: Mapping[str, str]
    ) -> None:
        arguments: dict[str, Any] = check_metadata(filter)
        arguments.update({"x-match": "all", TOPIC_HEADER: check_topic(topic)})
        await self._topics()
        queue = await self._subscriber(subscriber_id)
        await queue.bind(f"{self._ns}attributes", arguments=arguments)


__all__ = ["RabbitPubSub", "binding_key"]
