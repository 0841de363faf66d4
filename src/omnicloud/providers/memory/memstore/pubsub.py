"""MemStore's publish/subscribe family (publish, subscribe, pattern subscriptions)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping

from omnicloud.providers.memory.memstore.common import tick, wait_for
from omnicloud.providers.topics import pattern_matches
from tck_py.interfaces.models import Message


class PubSubFamily:
    _topics: dict[str, dict[str, dict[str, str] | None]]
    _patterns: dict[str, set[str]]
    _mailboxes: dict[str, list[Message]]
    _log: dict[str, list[Message]]
    _cursors: dict[tuple[str, str], int]

    def _init_pubsub(self) -> None:
        self._topics, self._patterns, self._mailboxes = {}, {}, {}
        self._log, self._cursors = {}, {}

    def _deliver(self, message: Message) -> None:
        receivers: list[str] = []
        for subscriber, wanted in self._topics.get(message.topic, {}).items():
            if wanted is None or all(message.metadata.get(k) == v for k, v in wanted.items()):
                receivers.append(subscriber)
        for pattern, subscribers in self._patterns.items():
            if pattern_matches(pattern, message.topic):
                receivers.extend(subscribers)
        for subscriber in dict.fromkeys(receivers):
            self._mailboxes.setdefault(subscriber, []).append(message)

    def _message(
        self,
        topic: str,
        payload: bytes,
        metadata: Mapping[str, str] | None,
        message_id: str | None = None,
    ) -> Message:
        return Message(
            topic, bytes(payload), dict(metadata or {}), message_id or uuid.uuid4().hex, time.time()
        )

    async def publish(
        self, topic: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        await tick()
        message = self._message(topic, payload, metadata)
        self._deliver(message)
        return message.message_id

    async def subscribe(self, topic: str, subscriber_id: str) -> None:
        await tick()
        self._topics.setdefault(topic, {})[subscriber_id] = None

    async def unsubscribe(self, topic: str, subscriber_id: str) -> None:
        await tick()
        self._topics.get(topic, {}).pop(subscriber_id, None)

    async def receive(self, subscriber_id: str, timeout: float) -> Message | None:
        def take() -> Message | None:
            box = self._mailboxes.get(subscriber_id)
            return box.pop(0) if box else None

        await tick()
        result: Message | None = await wait_for(take, timeout)
        return result

    async def subscribe_pattern(self, pattern: str, subscriber_id: str) -> None:
        if not pattern or any(not t for t in pattern.split(".")):
            raise ValueError(f"invalid pattern {pattern!r}")
        await tick()
        self._patterns.setdefault(pattern, set()).add(subscriber_id)

    async def unsubscribe_pattern(self, pattern: str, subscriber_id: str) -> None:
        await tick()
        self._patterns.get(pattern, set()).discard(subscriber_id)

    async def publish_persistent(
        self, topic: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        await tick()
        log = self._log.setdefault(topic, [])
        message = self._message(topic, payload, metadata, f"{len(log) + 1:020d}")
        log.append(message)
        self._deliver(message)
        return message.message_id

    async def subscribe_durable(self, topic: str, durable_name: str) -> None:
        await tick()
        self._cursors.setdefault((topic, durable_name), 0)

    async def receive_durable(
        self, topic: str, durable_name: str, timeout: float
    ) -> Message | None:
        if (topic, durable_name) not in self._cursors:
            raise KeyError(f"no durable subscription {durable_name!r} on {topic!r}")

        def take() -> Message | None:
            log, cursor = self._log.get(topic, []), self._cursors[(topic, durable_name)]
            if cursor >= len(log):
                return None
            self._cursors[(topic, durable_name)] = cursor + 1
            return log[cursor]

        await tick()
        result: Message | None = await wait_for(take, timeout)
        return result

    async def get_last_message_id(self, topic: str) -> str | None:
        await tick()
        log = self._log.get(topic)
        return log[-1].message_id if log else None

    async def publish_with_attributes(
        self, topic: str, payload: bytes, attributes: Mapping[str, str]
    ) -> str:
        return await self.publish(topic, payload, attributes)

    async def subscribe_filtered(
        self, topic: str, subscriber_id: str, filter: Mapping[str, str]
    ) -> None:
        await tick()
        self._topics.setdefault(topic, {})[subscriber_id] = dict(filter)

    async def publish_ordered(
        self,
        topic: str,
        payload: bytes,
        ordering_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        return await self.publish(topic, payload, metadata)
