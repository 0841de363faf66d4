"""pubsub_basic, _wildcards, _ordering and _filtering on Redis Pub/Sub.

Every publish is one Lua script: it ``PUBLISH``es the message on the topic's channel, then on the
channel of each attribute filter registered for the topic that the message's attributes satisfy,
so filtering happens on the server and a filtered subscriber receives only what matches. A
provider has one subscriber connection (``SUBSCRIBE``/``PSUBSCRIBE``, each confirmed by the
server before the call returns) and hands each message to the mailboxes of the subscriber ids
that follow its channel; ``receive`` takes from a mailbox. Redis delivers one connection's
messages in the order it ran the publishes, which gives pubsub_ordering. Wildcards: an interface
pattern becomes a Redis glob (``*`` for a token and for the trailing ``>``) that Redis routes by;
the glob's ``*`` also spans dots, so the provider drops the extra matches by the token rule.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

from omnicloud.providers.redis.interfaces._core import RedisCore, must_text, pack, unpack
from omnicloud.providers.topics import pattern_matches
from tck_py.interfaces.models import Message

_GLOB_SPECIAL = "\\*?[]"

# KEYS[1]: the topic's filters (hash: canonical filter JSON -> subscriptions). ARGV: the topic's
# channel, the prefix of its filtered channels, the attributes as JSON, the message.
_PUBLISH = """
redis.call('PUBLISH', ARGV[1], ARGV[4])
local attributes = cjson.decode(ARGV[3])
for _, filter in ipairs(redis.call('HKEYS', KEYS[1])) do
  local matches = true
  for name, value in pairs(cjson.decode(filter)) do
    if attributes[name] ~= value then matches = false break end
  end
  if matches then redis.call('PUBLISH', ARGV[2] .. filter, ARGV[4]) end
end
"""

# KEYS[1]: the topic's filters; ARGV[1]: the filter; ARGV[2]: +1 or -1 subscription
_COUNT_FILTER = """
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if left <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return left
"""


def pattern_glob(pattern: str) -> str:
    """The Redis glob that matches at least every topic ``pattern`` matches."""
    tokens = pattern.split(".")
    return ".".join(
        "*" if t == "*" or (t == ">" and i == len(tokens) - 1) else _escape(t)
        for i, t in enumerate(tokens)
    )


def _escape(token: str) -> str:
    return "".join("\\" + c if c in _GLOB_SPECIAL else c for c in token)


def filter_json(filter: Mapping[str, str]) -> str:
    """One spelling per filter, so equal filters share a channel."""
    return json.dumps(dict(sorted(filter.items())), separators=(",", ":"))


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
    """Fan-out publish/subscribe with subscriber ids, patterns, filters and per-key order."""

    def __init__(self, client: Any, prefix: str = "", namespace: str | None = None) -> None:
        super().__init__(client, prefix, namespace)
        self._pubsub: Any = None
        self._pump_task: asyncio.Task[None] | None = None
        self._routes: dict[str, tuple[str, set[str]]] = {}  # channel -> (topic, ids)
        self._following: dict[tuple[str, str], str] = {}  # (topic, id) -> its channel
        self._globs: dict[str, dict[str, set[str]]] = {}  # Redis glob -> pattern -> ids
        self._mailboxes: dict[str, _Mailbox] = {}
        self._confirmations: dict[str, asyncio.Future[None]] = {}

    def _channel(self, topic: str) -> str:
        return self._key("topic", topic)

    def _pattern_channel(self, pattern: str) -> str:
        # the key prefix is escaped too: a configured prefix such as "run[1]:" stays literal
        return _escape(self._channel("")) + pattern_glob(pattern)

    def _filtered_prefix(self, topic: str) -> str:
        # length first, so no (topic, filter) pair spells another's channel
        return self._key("topic-filtered", f"{len(topic)}:{topic}:")

    def _filters(self, topic: str) -> str:
        return self._key("topic-filters", topic)

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
            topic, subscribers = self._routes.get(channel, ("", set()))
            for subscriber in list(subscribers):
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
        attributes = dict(metadata or {})
        data = pack(payload, attributes, id=message_id, ts=time.time())
        args = [self._channel(topic), self._filtered_prefix(topic), json.dumps(attributes), data]
        await self._script(_PUBLISH)(keys=[self._filters(topic)], args=args)
        return message_id

    async def subscribe(self, topic: str, subscriber_id: str) -> None:
        await self._route(topic, subscriber_id, self._channel(topic))

    async def unsubscribe(self, topic: str, subscriber_id: str) -> None:
        await self._unroute(topic, subscriber_id)

    async def _route(self, topic: str, subscriber_id: str, channel: str) -> bool:
        """Deliver ``topic`` to ``subscriber_id`` from ``channel`` (replacing the channel it
        had); True when this subscriber is the channel's first."""
        if self._following.get((topic, subscriber_id)) not in (None, channel):
            await self._unroute(topic, subscriber_id)
        self._mailbox(subscriber_id)
        self._following[(topic, subscriber_id)] = channel
        subscribers = self._routes.setdefault(channel, (topic, set()))[1]
        first = not subscribers
        subscribers.add(subscriber_id)
        await self._follow_once(first, "subscribe", channel)
        return first

    async def _unroute(self, topic: str, subscriber_id: str) -> None:
        channel = self._following.pop((topic, subscriber_id), None)
        if channel is None:
            return
        subscribers = self._routes[channel][1]
        subscribers.discard(subscriber_id)
        if subscribers:
            return
        del self._routes[channel]
        await self._pubsub.unsubscribe(channel)
        prefix = self._filtered_prefix(topic)
        if channel.startswith(prefix):
            await self._count_filter(topic, channel[len(prefix) :], -1)

    async def _count_filter(self, topic: str, filter: str, change: int) -> None:
        await self._script(_COUNT_FILTER)(keys=[self._filters(topic)], args=[filter, change])

    async def _follow_once(self, first: bool, command: str, channel: str) -> None:
        """The first follower subscribes; later ones wait for the same confirmation."""
        if first:
            await self._follow(command, channel)
            return
        pending = self._confirmations.get(command + channel)
        if pending is not None:
            await self._confirmed(pending)

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
        glob = self._pattern_channel(pattern)
        patterns = self._globs.setdefault(glob, {})
        first = not patterns
        patterns.setdefault(pattern, set()).add(subscriber_id)
        await self._follow_once(first, "psubscribe", glob)

    async def unsubscribe_pattern(self, pattern: str, subscriber_id: str) -> None:
        glob = self._pattern_channel(pattern)
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

    # pubsub_filtering
    async def publish_with_attributes(
        self, topic: str, payload: bytes, attributes: Mapping[str, str]
    ) -> str:
        return await self.publish(topic, payload, attributes)

    async def subscribe_filtered(
        self, topic: str, subscriber_id: str, filter: Mapping[str, str]
    ) -> None:
        spelled = filter_json(filter)
        channel = self._filtered_prefix(topic) + spelled
        if await self._route(topic, subscriber_id, channel):
            # registered once subscribed: from now on the publish script routes matches here
            await self._count_filter(topic, spelled, +1)

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
