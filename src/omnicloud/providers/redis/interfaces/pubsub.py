"""pubsub_basic, _wildcards, _ordering (Redis Pub/Sub) and _persistent (Redis Streams).

Live messages go through ``PUBLISH``/``SUBSCRIBE``/``PSUBSCRIBE`` on one subscriber connection
per provider; the provider hands each message to the mailboxes of the subscriber ids that
follow its channel or pattern, and ``receive`` takes from a mailbox. Redis delivers one
connection's messages in the order it processed the ``PUBLISH`` commands, which gives
pubsub_ordering. Wildcards: each interface pattern becomes a Redis glob (``*`` for a token and
for the trailing ``>``) and Redis routes by it; the glob's ``*`` also spans dots, so the provider
drops the few extra matches by the interface's token rule.

Durable subscriptions are consumer groups on a Redis stream: the group is the durable cursor,
kept by the server, created at the oldest stored message, read with ``XREADGROUP ... BLOCK``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from typing import Any

from omnicloud.providers.redis.interfaces._core import (
    RedisCore,
    must_text,
    pack,
    response_error,
    unpack,
)
from tck_py.interfaces.models import Message

_GLOB_SPECIAL = "\\*?[]"


def pattern_matches(pattern: str, topic: str) -> bool:
    """'*' matches one token, a final '>' one or more tokens."""
    want, have = pattern.split("."), topic.split(".")
    for index, token in enumerate(want):
        if token == ">" and index == len(want) - 1:
            return len(have) > index
        if index >= len(have) or (token != "*" and token != have[index]):
            return False
    return len(want) == len(have)


def pattern_glob(pattern: str) -> str:
    """The Redis glob that matches at least every topic ``pattern`` matches."""
    tokens = pattern.split(".")
    return ".".join(
        "*" if t == "*" or (t == ">" and i == len(tokens) - 1) else _escape(t)
        for i, t in enumerate(tokens)
    )


def _escape(token: str) -> str:
    return "".join("\\" + c if c in _GLOB_SPECIAL else c for c in token)


def _check_pattern(pattern: str) -> None:
    if not pattern or any(not token for token in pattern.split(".")):
        raise ValueError(f"invalid pattern {pattern!r}: empty token")


class _Mailbox:
    """One subscriber's undelivered messages; remembers the last id to drop a duplicate
    (a subscriber that follows a topic and a pattern matching it gets both deliveries)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Message] = asyncio.Queue()
        self.last_id = ""

    def put(self, message: Message) -> None:
        if message.message_id != self.last_id:
            self.last_id = message.message_id
            self.queue.put_nowait(message)


class PubSubMixin(RedisCore):
    """Fan-out publish/subscribe with subscriber ids, pattern subscriptions and durables."""

    def __init__(self, client: Any, prefix: str = "", namespace: str | None = None) -> None:
        super().__init__(client, prefix, namespace)
        self._pubsub: Any = None
        self._pump_task: asyncio.Task[None] | None = None
        self._topics: dict[str, set[str]] = {}  # topic -> subscriber ids
        self._globs: dict[str, dict[str, set[str]]] = {}  # Redis glob -> pattern -> ids
        self._mailboxes: dict[str, _Mailbox] = {}
        self._confirmations: dict[str, asyncio.Future[None]] = {}

    def _channel(self, topic: str) -> str:
        return self._key("topic", topic)

    def _mailbox(self, subscriber_id: str) -> _Mailbox:
        box = self._mailboxes.get(subscriber_id)
        if box is None:
            box = self._mailboxes[subscriber_id] = _Mailbox()
        return box

    async def _listener(self) -> Any:
        """The subscriber connection, created on first use, with its reader task."""
        if self._pubsub is None:
            self._pubsub = self._client.pubsub()
            # a channel of its own keeps the connection subscribed, so the reader never stops
            await self._pubsub.subscribe(self._key("pubsub-anchor", ""))
            self._pump_task = asyncio.ensure_future(self._pump())
        return self._pubsub

    async def _pump(self) -> None:
        while True:
            event = await self._pubsub.get_message(timeout=None)
            if event is not None:
                self._dispatch(event)

    def _check_listener(self) -> None:
        """Re-raise what stopped the reader (a lost connection...): an empty mailbox must not
        pass for "no message" when the server is gone."""
        task = self._pump_task
        if task is not None and task.done() and not task.cancelled():
            error = task.exception()
            if error is not None:
                raise error

    def _dispatch(self, event: dict[str, Any]) -> None:
        kind, channel = event["type"], must_text(event["channel"])
        if kind in ("subscribe", "psubscribe"):
            future = self._confirmations.pop(kind + channel, None)
            if future is not None and not future.done():
                future.set_result(None)
        elif kind == "message":
            topic = channel[len(self._channel("")) :]
            for subscriber in list(self._topics.get(topic, ())):
                self._mailbox(subscriber).put(self._decode(topic, event["data"]))
        elif kind == "pmessage":
            topic = channel[len(self._channel("")) :]
            for pattern, subscribers in self._globs.get(must_text(event["pattern"]), {}).items():
                if pattern_matches(pattern, topic):
                    for subscriber in list(subscribers):
                        self._mailbox(subscriber).put(self._decode(topic, event["data"]))

    @staticmethod
    def _decode(topic: str, data: bytes) -> Message:
        header, payload = unpack(data)
        return Message(topic, payload, header["m"], header["id"], header["ts"])

    async def _follow(self, command: str, channel: str) -> None:
        """SUBSCRIBE/PSUBSCRIBE and wait for the server's confirmation: from then on every
        PUBLISH the server processes reaches this connection."""
        listener = await self._listener()
        confirmed = asyncio.get_running_loop().create_future()
        self._confirmations[command + channel] = confirmed
        await (listener.subscribe if command == "subscribe" else listener.psubscribe)(channel)
        await self._confirmed(confirmed)

    async def _confirmed(self, future: asyncio.Future[None]) -> None:
        """Wait for a confirmation, or for the reader to fail (then raise what it raised)."""
        watched: set[asyncio.Future[Any]] = {future}
        if self._pump_task is not None:
            watched.add(self._pump_task)
        done, _ = await asyncio.wait(watched, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        self._check_listener()
        if future not in done:
            raise TimeoutError("the Redis server did not confirm a subscription within 30 s")

    # pubsub_basic
    async def publish(
        self, topic: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        message_id = uuid.uuid4().hex
        data = pack(payload, metadata, id=message_id, ts=time.time())
        await self._client.publish(self._channel(topic), data)
        return message_id

    async def subscribe(self, topic: str, subscriber_id: str) -> None:
        self._mailbox(subscriber_id)
        subscribers = self._topics.setdefault(topic, set())
        first = not subscribers
        subscribers.add(subscriber_id)
        await self._follow_once(first, "subscribe", self._channel(topic))

    async def _follow_once(self, first: bool, command: str, channel: str) -> None:
        """The first follower subscribes; later ones wait for the same confirmation."""
        if first:
            await self._follow(command, channel)
            return
        pending = self._confirmations.get(command + channel)
        if pending is not None:
            await self._confirmed(pending)

    async def unsubscribe(self, topic: str, subscriber_id: str) -> None:
        subscribers = self._topics.get(topic, set())
        subscribers.discard(subscriber_id)
        if not subscribers and self._topics.pop(topic, None) is not None:
            await self._pubsub.unsubscribe(self._channel(topic))

    async def receive(self, subscriber_id: str, timeout: float) -> Message | None:
        if timeout < 0:
            raise ValueError(f"timeout must be >= 0, got {timeout!r}")
        queue = self._mailbox(subscriber_id).queue
        if not queue.empty():
            return queue.get_nowait()
        self._check_listener()
        if timeout == 0:
            return None
        getter = asyncio.ensure_future(queue.get())
        watched: set[asyncio.Future[Any]] = {getter}
        if self._pump_task is not None:
            watched.add(self._pump_task)  # a failing reader ends the wait at once
        done, _ = await asyncio.wait(watched, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if getter in done:
            return getter.result()
        getter.cancel()  # a cancelled Queue.get leaves the queue's items in place
        self._check_listener()
        return None

    # pubsub_wildcards
    async def subscribe_pattern(self, pattern: str, subscriber_id: str) -> None:
        _check_pattern(pattern)
        self._mailbox(subscriber_id)
        glob = self._channel(pattern_glob(pattern))
        patterns = self._globs.setdefault(glob, {})
        first = not patterns
        patterns.setdefault(pattern, set()).add(subscriber_id)
        await self._follow_once(first, "psubscribe", glob)

    async def unsubscribe_pattern(self, pattern: str, subscriber_id: str) -> None:
        glob = self._channel(pattern_glob(pattern))
        patterns = self._globs.get(glob, {})
        patterns.get(pattern, set()).discard(subscriber_id)
        if not patterns.get(pattern, True):
            del patterns[pattern]
        if not patterns and self._globs.pop(glob, None) is not None:
            await self._pubsub.punsubscribe(glob)

    # pubsub_ordering
    async def publish_ordered(
        self,
        topic: str,
        payload: bytes,
        ordering_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        # Redis delivers in the order it processed PUBLISH; a caller that awaits each publish
        # before the next therefore keeps every key's order (and the total order besides).
        return await self.publish(topic, payload, metadata)

    # pubsub_persistent
    def _log(self, topic: str) -> str:
        return self._key("topic-log", topic)

    async def publish_persistent(
        self, topic: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        data = pack(payload, metadata, ts=time.time())
        return must_text(await self._client.xadd(self._log(topic), {"m": data}))

    async def subscribe_durable(self, topic: str, durable_name: str) -> None:
        try:
            await self._client.xgroup_create(self._log(topic), durable_name, id="0", mkstream=True)
        except response_error() as error:
            if "BUSYGROUP" not in str(error):  # it exists: resume where it stopped
                raise

    async def receive_durable(
        self, topic: str, durable_name: str, timeout: float
    ) -> Message | None:
        if timeout < 0:
            raise ValueError(f"timeout must be >= 0, got {timeout!r}")
        block = {"block": max(1, round(timeout * 1000))} if timeout > 0 else {}
        try:
            reply = await self._client.xreadgroup(
                durable_name, "reader", {self._log(topic): ">"}, count=1, noack=True, **block
            )
        except response_error() as error:
            if "NOGROUP" in str(error):
                raise KeyError(f"no durable subscription {durable_name!r} on {topic!r}") from None
            raise
        for _, entries in reply or ():
            for entry_id, fields in entries:
                header, payload = unpack(fields[b"m"])
                return Message(topic, payload, header["m"], must_text(entry_id), header["ts"])
        return None

    async def get_last_message_id(self, topic: str) -> str | None:
        newest = await self._client.xrevrange(self._log(topic), "+", "-", count=1)
        return must_text(newest[0][0]) if newest else None

    async def _close_extras(self) -> None:
        await super()._close_extras()
        task = self._pump_task
        if task is not None:
            task.cancel()
            await asyncio.wait({task})
            if not task.cancelled():
                task.exception()  # a reader that failed already raised in receive/subscribe
        if self._pubsub is not None:
            await self._pubsub.aclose()
