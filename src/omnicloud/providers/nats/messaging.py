"""NATS JetStream message broker (contracts ``producer``, ``consumer`` and
``delayed_messaging``, the last one described in :mod:`omnicloud.providers.nats.delayed`).

All topics of a broker live in one JetStream stream (``<ns>-m``, subjects ``<ns>.m.<topic>``),
so a publish is acknowledged by the server only once stored (a lost connection or a missing
stream is a ``PublishError``, never a silent drop). Readers are durable pull consumers with
explicit acks, one per (topic, group): consumers of one group share the topic's messages,
different groups each see all of them. ``get_message`` reads through its own group.

A consumer acknowledges a message only after the shared retry policy
(:mod:`omnicloud.providers.delivery`) is done with it: handled, or moved to the dead-letter
topic (``<topic>.dlq`` unless the consumer config names ``dead_letter_topic``). While the
handler runs, the consumer tells JetStream the message is in progress every third of
``ack_wait`` (5 s by default); a consumer that stops or dies before acknowledging leaves the
message to another member after ``ack_wait``: at-least-once, and a slow handler is not
mistaken for a dead one.

```toml
[providers.nats-producer]
contract = "producer"        # the same factory certifies "consumer" and "delayed_messaging"
factory = "omnicloud.providers.nats:create_broker"
options = { url = "{services.nats.url}", prefix = "{services.nats.prefix}" }
services = ["nats"]
```

A producer given ``{"bootstrap_servers": "host:port"}`` connects to that server at publish
time; when nothing answers, ``publish`` raises ``PublishError`` within ``publish_timeout``
seconds (default 5).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Any

from omnicloud.providers.delivery import (
    Handler,
    RetryingConsumer,
    close_children,
    dead_letter_topic,
)
from omnicloud.providers.nats._base import DEFAULT_URL, NatsBase, connect, token
from omnicloud.providers.nats.delayed import NatsDelayedPublisher
from tck_py.shared.exceptions import PublishError
from tck_py.shared.models import ConsumedMessage

log = logging.getLogger(__name__)

KEY_HEADER = "Omnicloud-Key"
HEADERS_HEADER = "Omnicloud-Headers"
DEFAULT_ACK_WAIT = 5.0
DEFAULT_PUBLISH_TIMEOUT = 5.0
READER_GROUP = "omnicloud-reader"
CONSUMER_GROUP = "omnicloud"


def encode_message(key: str | None, headers: Mapping[str, Any] | None) -> dict[str, str]:
    """NATS headers carrying the key and the application headers (str or bytes values)."""
    encoded = {
        k: {"b": base64.b64encode(v).decode()} if isinstance(v, bytes) else {"s": str(v)}
        for k, v in (headers or {}).items()
    }
    return {KEY_HEADER: json.dumps(key), HEADERS_HEADER: json.dumps(encoded)}


def decode_message(data: bytes, headers: Mapping[str, str] | None) -> ConsumedMessage:
    found = headers or {}
    raw = json.loads(found.get(HEADERS_HEADER) or "{}")
    decoded = {k: base64.b64decode(v["b"]) if "b" in v else v["s"] for k, v in raw.items()}
    return ConsumedMessage(bytes(data), json.loads(found.get(KEY_HEADER) or "null"), decoded)


class NatsProducer:
    """Publishes through JetStream; any failure to store becomes ``PublishError``."""

    def __init__(self, broker: NatsBroker, url: str | None, timeout: float) -> None:
        self._broker = broker
        self._url = url  # None: the broker's own connection
        self._timeout = timeout

    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        message = encode_message(key, headers)
        try:
            await asyncio.wait_for(self._send(topic, payload, message), self._timeout)
        except (TypeError, ValueError):
            raise
        except Exception as exc:  # connection refused, timeout, no stream: all "not stored"
            raise PublishError(f"cannot publish to {topic!r}: {exc!r}") from exc

    async def _send(self, topic: str, payload: bytes, headers: Mapping[str, str]) -> None:
        if self._url is None:
            await self._broker.store(topic, payload, headers)
            return
        nc = await connect(self._url, connect_timeout=self._timeout)
        try:
            reply = await nc.request(
                self._broker.subject(topic), bytes(payload), self._timeout, headers=dict(headers)
            )
            if b'"error"' in reply.data:
                raise RuntimeError(reply.data.decode())
        finally:
            await nc.close()


class NatsConsumer(RetryingConsumer):
    """Pulls one message at a time from its group, acks it after the retry policy is done."""

    def __init__(
        self, broker: NatsBroker, handler: Handler, topic: str, config: Mapping[str, Any]
    ) -> None:
        super().__init__(broker, handler, topic, config)
        self._broker = broker
        self._group = str(config.get("group", CONSUMER_GROUP))
        self._current: Any = None
        self._start()

    async def _run(self) -> None:
        durable = await self._broker.group(self._topic, self._group)
        while not self._stopped:
            try:
                messages = await self._broker.pull(durable, wait=1.0)
            except Exception:  # a broken connection must not end the consumer silently
                log.exception("pulling %r failed; retrying", self._topic)
                await asyncio.sleep(0.5)
                continue
            for msg in messages:
                await self._handle(msg)

    async def _handle(self, msg: Any) -> None:
        beat = asyncio.get_running_loop().create_task(self._in_progress(msg))
        self._current = msg
        try:
            await self._deliver(decode_message(msg.data, msg.headers))
        finally:
            beat.cancel()
            self._current = None
        await self._broker.ack(msg)

    async def _in_progress(self, msg: Any) -> None:
        while True:
            await asyncio.sleep(self._broker.ack_wait / 3)
            with contextlib.suppress(Exception):
                await msg.in_progress()

    async def _give_back(self, message: ConsumedMessage) -> None:
        """Stopped mid-handling: a negative ack makes JetStream redeliver it at once (were this
        lost, ``ack_wait`` would still bring it back)."""
        del message
        if self._current is not None:
            with contextlib.suppress(Exception):
                await self._current.nak()

    async def _to_dead_letter(self, message: ConsumedMessage) -> None:
        await self._broker.store(
            self._dead_letter_topic, message.payload, encode_message(message.key, message.headers)
        )


class NatsBroker(NatsBase):
    """One JetStream stream for every topic of the broker; hands out producers and consumers."""

    def __init__(self, nc: Any, prefix: str = "", storage: str = "file", **options: Any) -> None:
        super().__init__(nc, prefix, storage)
        self.ack_wait = float(options.get("ack_wait", DEFAULT_ACK_WAIT))
        self._publish_timeout = float(options.get("publish_timeout", DEFAULT_PUBLISH_TIMEOUT))
        self._children: list[Any] = []
        self._groups: dict[tuple[str, str], str] = {}

    @property
    def stream(self) -> str:
        return f"{self._ns}-m"

    def subject(self, topic: str) -> str:
        return f"{self._ns}.m.{token(topic)}"

    async def start(self) -> NatsBroker:
        await self._ensure_stream(self.stream, [f"{self._ns}.m.>", f"{self._ns}.d.>"])
        return self

    async def store(self, topic: str, payload: bytes, headers: Mapping[str, str]) -> int:
        return await self._publish(self.subject(topic), payload, headers)

    async def schedule(self, topic: str, payload: bytes, headers: Mapping[str, str]) -> int:
        """Store a delayed message on the delay subject (see :mod:`.delayed`)."""
        return await self._publish(f"{self._ns}.d.{token(topic)}", payload, headers)

    async def delay_consumer(self) -> str:
        """The durable consumer the delayed publisher's mover reads (created once)."""
        durable = "delayed"
        config = {
            "durable_name": durable,
            "deliver_policy": "all",
            "ack_policy": "explicit",
            "ack_wait": int(30 * 1e9),
            "max_deliver": -1,
            "max_ack_pending": 1_000_000,  # every scheduled message is pending until due
            "filter_subject": f"{self._ns}.d.>",
        }
        answer = await self._api(
            f"CONSUMER.DURABLE.CREATE.{self.stream}.{durable}",
            {"stream_name": self.stream, "config": config},
        )
        if "error" in answer:
            raise RuntimeError(f"cannot create the delayed messages' consumer: {answer['error']}")
        return durable

    async def group(self, topic: str, group: str) -> str:
        """The durable consumer of ``group`` on ``topic`` (created on first use)."""
        found = self._groups.get((topic, group))
        if found is not None:
            return found
        durable = f"{token(topic)}-{token(group)}"
        config = {
            "durable_name": durable,
            "deliver_policy": "all",
            "ack_policy": "explicit",
            "ack_wait": int(self.ack_wait * 1e9),
            "max_deliver": -1,
            "filter_subject": self.subject(topic),
        }
        answer = await self._api(
            f"CONSUMER.DURABLE.CREATE.{self.stream}.{durable}",
            {"stream_name": self.stream, "config": config},
        )
        if "error" in answer:
            raise RuntimeError(f"cannot create consumer for {topic!r}: {answer['error']}")
        self._groups[(topic, group)] = durable
        return durable

    async def pull(self, durable: str, wait: float) -> list[Any]:
        return await self._pull(self.stream, durable, 1, wait=wait)

    async def ack(self, msg: Any) -> None:
        await self._ack(msg)

    async def producer(self, config: Mapping[str, Any] | None = None) -> NatsProducer:
        servers = (config or {}).get("bootstrap_servers")
        url = None
        if servers:
            url = "nats://" + str(servers).split(",")[0].strip()
        return NatsProducer(self, url, self._publish_timeout)

    async def get_message(self, topic: str, timeout: float = 2.0) -> ConsumedMessage | None:
        """The next message on ``topic`` for the reader group, or ``None`` after ``timeout``."""
        durable = await self.group(topic, READER_GROUP)
        messages = await self.pull(durable, wait=max(timeout, 0.01))
        if not messages:
            return None
        await self.ack(messages[0])
        return decode_message(messages[0].data, messages[0].headers)

    def consumer(
        self, handler: Handler, topic: str, config: Mapping[str, Any] | None = None
    ) -> NatsConsumer:
        consumer = NatsConsumer(self, handler, topic, config or {})
        self._children.append(consumer)
        return consumer

    def dead_letter_topic(self, topic: str, config: Mapping[str, Any] | None = None) -> str:
        return dead_letter_topic(topic, config)

    def delayed_publisher(self) -> NatsDelayedPublisher:
        publisher = NatsDelayedPublisher(self)
        self._children.append(publisher)
        return publisher

    async def aclose(self) -> None:
        """Stop the consumers, delete the broker's stream, close the connection."""
        await close_children(self._children)
        await super().aclose()


async def create_broker(
    url: str = DEFAULT_URL,
    prefix: str = "",
    storage: str = "file",
    ack_wait: float = DEFAULT_ACK_WAIT,
    publish_timeout: float = DEFAULT_PUBLISH_TIMEOUT,
    **client_options: Any,
) -> NatsBroker:
    """Factory for ``factory = "omnicloud.providers.nats:create_broker"``."""
    if ack_wait <= 0 or publish_timeout <= 0:
        raise ValueError("ack_wait and publish_timeout must be > 0")
    nc = await connect(url, **client_options)
    broker = NatsBroker(nc, prefix, storage, ack_wait=ack_wait, publish_timeout=publish_timeout)
    try:
        return await broker.start()
    except BaseException:
        await nc.close()
        raise


__all__ = ["NatsBroker", "create_broker"]
