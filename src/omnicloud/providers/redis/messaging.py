"""Redis message broker (contracts ``producer``, ``consumer``, ``delayed_messaging``).

Topics are Redis lists (``RPUSH`` to publish, ``BLPOP`` to receive, so each message goes to one
receiver, in order); a consumer retries a message up to ``max_attempts`` and dead-letters it,
unchanged, to ``<topic>.dlq``; delayed messages wait in a sorted set scored by their due time
and a mover task (polling every ``poll`` seconds, 10 ms by default) moves each due message to
its topic in one Lua script. Implements the broker convention of
``omnicloud.adapters.messaging``:

```toml
[providers.redis-producer]
contract = "producer"        # the same factory certifies "consumer" and "delayed_messaging"
factory = "omnicloud.providers.redis:create_broker"
options = { url = "{services.redis.url}", prefix = "{services.redis.prefix}" }
services = ["redis"]
```

A producer given ``{"bootstrap_servers": "host:port"}`` talks to that server; when nothing
answers there, ``publish`` raises ``PublishError``, as a network client would.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

from omnicloud.providers.delivery import (
    Handler,
    RetryingConsumer,
    close_children,
    dead_letter_topic,
    stop_task,
)
from omnicloud.providers.redis._base import DEFAULT_URL, close_client, connect, namespaced
from omnicloud.providers.redis._client import redis_asyncio
from tck_py.shared.exceptions import PublishError
from tck_py.shared.models import ConsumedMessage

log = logging.getLogger(__name__)


# Moves every due message (score <= now) from the delay set to its topic, atomically.
_MOVE_DUE = """
local due = redis.call('zrangebyscore', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, item in ipairs(due) do
    local sep = string.find(item, ':', 1, true)
    local n = tonumber(string.sub(item, 1, sep - 1))
    local topic = string.sub(item, sep + 1, sep + n)
    redis.call('rpush', topic, string.sub(item, sep + n + 33))
    redis.call('zrem', KEYS[1], item)
end
return #due
"""


def encode(payload: bytes, key: str | None, headers: Mapping[str, Any] | None) -> str:
    """A message as one string: binary payloads survive, header values stay str or bytes."""
    if not isinstance(payload, bytes | bytearray):
        raise TypeError(f"payload must be bytes, got {type(payload).__name__}")
    encoded_headers = {
        k: {"b": base64.b64encode(v).decode()} if isinstance(v, bytes) else {"s": str(v)}
        for k, v in (headers or {}).items()
    }
    return json.dumps(
        {"p": base64.b64encode(bytes(payload)).decode(), "k": key, "h": encoded_headers}
    )


def decode(text: str) -> ConsumedMessage:
    data = json.loads(text)
    headers = {k: base64.b64decode(v["b"]) if "b" in v else v["s"] for k, v in data["h"].items()}
    return ConsumedMessage(base64.b64decode(data["p"]), data["k"], headers)


class RedisProducer:
    """Publishes to topics; any connection failure becomes ``PublishError``."""

    def __init__(self, client: Any, broker: RedisBroker, owns_client: bool) -> None:
        self._client = client
        self._broker = broker
        self._owns_client = owns_client
        self._loop = asyncio.get_running_loop()

    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        message = encode(payload, key, headers)
        errors = redis_asyncio().ConnectionError, redis_asyncio().TimeoutError, OSError
        try:
            await self._client.rpush(self._broker.topic_key(topic), message)
        except errors as exc:
            raise PublishError(f"cannot publish to {topic!r}: {exc}") from exc

    async def aclose(self) -> None:
        if self._owns_client:
            await close_client(self._client, self._loop)


class RedisConsumer(RetryingConsumer):
    """Consumes one topic in a background task until cancelled (see the module docstring)."""

    def __init__(
        self, broker: RedisBroker, handler: Handler, topic: str, config: Mapping[str, Any]
    ) -> None:
        super().__init__(broker, handler, topic, config)
        self._broker = broker
        self._start()

    async def _run(self) -> None:
        while not self._stopped:
            message = await self._broker.get_message(self._topic, timeout=1.0)
            if message is not None:
                await self._deliver(message)

    async def _to_dead_letter(self, message: ConsumedMessage) -> None:
        await self._broker.push(
            self._dead_letter_topic, encode(message.payload, message.key, message.headers)
        )

    async def _give_back(self, message: ConsumedMessage) -> None:
        await self._broker.push_first(
            self._topic, encode(message.payload, message.key, message.headers)
        )


class RedisDelayedPublisher:
    """Publishes now, or into the delay set from which the mover task delivers when due."""

    def __init__(self, broker: RedisBroker, poll: float) -> None:
        self._broker = broker
        self._poll = poll
        self._mover: asyncio.Task[None] | None = None
        self._stopped = False

    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
        delay_seconds: float | None = None,
    ) -> None:
        message = encode(payload, key, headers)
        if not delay_seconds or delay_seconds <= 0:
            await self._broker.push(topic, message)
            return
        due_ms = (time.time() + delay_seconds) * 1000
        await self._broker.delay(topic, message, due_ms)
        if self._mover is None:
            self._mover = asyncio.get_running_loop().create_task(self._move())

    async def _move(self) -> None:
        while not self._stopped:
            await self._broker.move_due(time.time() * 1000)
            await asyncio.sleep(self._poll)

    async def aclose(self) -> None:
        self._stopped = True
        if self._mover is not None:
            await stop_task(self._mover)


class RedisBroker:
    """Topics in one Redis database, under ``prefix``; hands out producers and consumers."""

    def __init__(self, client: Any, url: str, prefix: str = "", poll: float = 0.01) -> None:
        self._client = client
        self._url = url
        self._prefix = prefix
        self._poll = poll
        self._loop = asyncio.get_running_loop()
        self._children: list[Any] = []

    def topic_key(self, topic: str) -> str:
        return namespaced(self._prefix, None, "topic", topic)

    async def push(self, topic: str, message: str) -> None:
        await self._client.rpush(self.topic_key(topic), message)

    async def push_first(self, topic: str, message: str) -> None:
        """Back at the head (LPUSH), where the next BLPOP takes it first."""
        await self._client.lpush(self.topic_key(topic), message)

    async def delay(self, topic: str, message: str, due_ms: float) -> None:
        # "<len>:<topic key><32 hex><message>": the member carries its destination (length-
        # prefixed, so any topic name works) and a unique id, so equal messages stay distinct.
        key = self.topic_key(topic)
        member = f"{len(key.encode())}:{key}{uuid.uuid4().hex}{message}"
        await self._client.zadd(self._delay_key(), {member: due_ms})

    async def move_due(self, now_ms: float) -> int:
        return int(await self._client.eval(_MOVE_DUE, 1, self._delay_key(), now_ms))

    def _delay_key(self) -> str:
        return namespaced(self._prefix, None, "delayed", "all")

    async def producer(self, config: Mapping[str, Any] | None = None) -> RedisProducer:
        servers = (config or {}).get("bootstrap_servers")
        if not servers:
            return RedisProducer(self._client, self, owns_client=False)
        host = str(servers).split(",")[0].strip()
        client = redis_asyncio().Redis.from_url(
            f"redis://{host}/0", decode_responses=True, socket_connect_timeout=1
        )
        return RedisProducer(client, self, owns_client=True)

    async def get_message(self, topic: str, timeout: float = 2.0) -> ConsumedMessage | None:
        """The next message on ``topic``, or ``None`` after ``timeout`` seconds."""
        found = await self._client.blpop([self.topic_key(topic)], timeout=max(timeout, 0.01))
        return None if found is None else decode(found[1])

    def consumer(
        self, handler: Handler, topic: str, config: Mapping[str, Any] | None = None
    ) -> RedisConsumer:
        consumer = RedisConsumer(self, handler, topic, config or {})
        self._children.append(consumer)
        return consumer

    def dead_letter_topic(self, topic: str, config: Mapping[str, Any] | None = None) -> str:
        return dead_letter_topic(topic, config)

    def delayed_publisher(self) -> RedisDelayedPublisher:
        publisher = RedisDelayedPublisher(self, self._poll)
        self._children.append(publisher)
        return publisher

    async def aclose(self) -> None:
        """Stop consumers and movers, then close the connections."""
        await close_children(self._children)
        await close_client(self._client, self._loop)


async def create_broker(
    url: str = DEFAULT_URL, prefix: str = "", poll: float = 0.01, **client_options: Any
) -> RedisBroker:
    """Factory for ``factory = "omnicloud.providers.redis:create_broker"``."""
    return RedisBroker(await connect(url, **client_options), url, prefix, poll)
