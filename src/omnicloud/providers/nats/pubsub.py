"""Pub/sub on NATS: basic, wildcards and ordering on core NATS; persistent on JetStream.

A topic is the subject ``<ns>.t.<topic>``, so NATS's own subject wildcards serve the pattern
subscriptions ('*' one token, a final '>' one or more). Live subscribers are core NATS
subscriptions feeding a mailbox per subscriber id; messages from one connection reach each
subscriber in publish order (NATS orders per publishing connection: that is what
``publish_ordered`` relies on, for every key at once).

Durable subscriptions are JetStream durable pull consumers on a stream per topic
(``<ns>-t-<topic>``, created on first use). Once a topic has that stream, JetStream stores
every message published to the subject, plain ``publish`` included (NATS semantics). Message
ids of stored messages are the zero-padded stream sequence, so they sort in publish order.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from omnicloud.providers.nats._base import (
    ID_HEADER,
    NatsBase,
    check_topic,
    decode_metadata,
    encode_headers,
    header_time,
    token,
)
from tck_py.interfaces.models import Message

#: Seconds JetStream waits for the ack of a durable delivery before delivering it again.
DURABLE_ACK_WAIT = 30.0
#: Message ids remembered per subscriber, so a message matching two of its subscriptions
#: (a topic and a pattern) is delivered once.
SEEN_IDS = 4096


class _Mailbox:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Message] = asyncio.Queue()
        self.seen: OrderedDict[str, None] = OrderedDict()

    def put(self, message: Message) -> None:
        if message.message_id in self.seen:
            return
        self.seen[message.message_id] = None
        if len(self.seen) > SEEN_IDS:
            self.seen.popitem(last=False)
        self.queue.put_nowait(message)


class NatsPubSub(NatsBase):
    """The ``pubsub_*`` interfaces NATS serves natively (see the module docstring)."""

    def __init__(self, nc: Any, prefix: str = "", storage: str = "file", **options: Any) -> None:
        super().__init__(nc, prefix, storage, **options)
        self._subscriptions: dict[tuple[str, str], Any] = {}
        self._mailboxes: dict[str, _Mailbox] = {}
        self._durables: set[tuple[str, str]] = set()

    def _subject(self, topic: str) -> str:
        return f"{self._ns}.t.{topic}"

    def _topic(self, subject: str) -> str:
        return subject[len(self._ns) + 3 :]

    def _mailbox(self, subscriber_id: str) -> _Mailbox:
        return self._mailboxes.setdefault(subscriber_id, _Mailbox())

    # -- pubsub_basic ---------------------------------------------------------------------------
    async def publish(
        self, topic: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        if not isinstance(payload, bytes | bytearray):
            raise TypeError(f"payload must be bytes, got {type(payload).__name__}")
        message_id = uuid.uuid4().hex
        headers = encode_headers(metadata, message_id)
        await self._nc.publish(self._subject(check_topic(topic)), bytes(payload), headers=headers)
        return message_id

    async def _listen(self, subject: str, key: tuple[str, str], subscriber_id: str) -> None:
        if key in self._subscriptions:
            return
        mailbox = self._mailbox(subscriber_id)

        async def deliver(msg: Any) -> None:
            headers = msg.headers or {}
            mailbox.put(
                Message(
                    self._topic(msg.subject),
                    bytes(msg.data),
                    decode_metadata(headers),
                    headers.get(ID_HEADER) or uuid.uuid4().hex,
                    header_time(headers),
                )
            )

        self._subscriptions[key] = await self._nc.subscribe(subject, cb=deliver)
        await self._nc.flush()  # the server knows the subscription before anyone publishes

    async def _stop(self, key: tuple[str, str]) -> None:
        subscription = self._subscriptions.pop(key, None)
        if subscription is not None:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def subscribe(self, topic: str, subscriber_id: str) -> None:
        subject = self._subject(check_topic(topic))
        await self._listen(subject, (f"t:{topic}", subscriber_id), subscriber_id)

    async def unsubscribe(self, topic: str, subscriber_id: str) -> None:
        await self._stop((f"t:{topic}", subscriber_id))

    async def receive(self, subscriber_id: str, timeout: float) -> Message | None:
        queue = self._mailbox(subscriber_id).queue
        if timeout <= 0:
            return None if queue.empty() else queue.get_nowait()
        try:
            return await asyncio.wait_for(queue.get(), timeout)
        except TimeoutError:
            return None

    # -- pubsub_wildcards -----------------------------------------------------------------------
    async def subscribe_pattern(self, pattern: str, subscriber_id: str) -> None:
        subject = self._subject(check_topic(pattern, pattern=True))
        await self._listen(subject, (f"p:{pattern}", subscriber_id), subscriber_id)

    async def unsubscribe_pattern(self, pattern: str, subscriber_id: str) -> None:
        await self._stop((f"p:{pattern}", subscriber_id))

    # -- pubsub_ordering ------------------------------------------------------------------------
    async def publish_ordered(
        self,
        topic: str,
        payload: bytes,
        ordering_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        """Publish in order: NATS keeps one connection's messages in order for every key."""
        del ordering_key
        return await self.publish(topic, payload, metadata)

    # -- pubsub_persistent ----------------------------------------------------------------------
    def _topic_stream(self, topic: str) -> str:
        return self._stream_name("t", topic)

    async def _ensure_topic_stream(self, topic: str) -> str:
        name = self._topic_stream(topic)
        await self._ensure_stream(name, [self._subject(check_topic(topic))])
        return name

    async def publish_persistent(
        self, topic: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        await self._ensure_topic_stream(topic)
        headers = encode_headers(metadata, uuid.uuid4().hex)
        seq = await self._publish(self._subject(topic), payload, headers)
        return f"{seq:020d}"

    def _durable(self, name: str) -> str:
        return f"d-{token(name)}"

    async def subscribe_durable(self, topic: str, durable_name: str) -> None:
        """Create the durable consumer, or resume it: the same config again is a no-op."""
        stream = await self._ensure_topic_stream(topic)
        durable = self._durable(durable_name)
        config = {
            "durable_name": durable,
            "deliver_policy": "all",
            "ack_policy": "explicit",
            "ack_wait": int(DURABLE_ACK_WAIT * 1e9),
        }
        answer = await self._api(
            f"CONSUMER.DURABLE.CREATE.{stream}.{durable}", {"stream_name": stream, "config": config}
        )
        if "error" in answer:
            raise RuntimeError(f"cannot create durable {durable_name!r}: {answer['error']}")
        self._durables.add((topic, durable_name))

    async def receive_durable(
        self, topic: str, durable_name: str, timeout: float
    ) -> Message | None:
        stream, durable = self._topic_stream(topic), self._durable(durable_name)
        if (topic, durable_name) not in self._durables:
            answer = await self._api(f"CONSUMER.INFO.{stream}.{durable}")
            if "error" in answer:
                raise KeyError(f"no durable subscription {durable_name!r} on {topic!r}")
            self._durables.add((topic, durable_name))
        messages = await self._pull(stream, durable, 1, wait=max(timeout, 0.001))
        if not messages:
            return None
        msg = messages[0]
        await self._ack(msg)
        return Message(
            topic,
            bytes(msg.data),
            decode_metadata(msg.headers),
            f"{msg.metadata.sequence.stream:020d}",
            msg.metadata.timestamp.timestamp(),
        )

    async def get_last_message_id(self, topic: str) -> str | None:
        state = await self._stream_state(self._topic_stream(topic))
        if state is None or int(state["last_seq"]) == 0:
            return None
        return f"{int(state['last_seq']):020d}"


__all__ = ["NatsPubSub"]
