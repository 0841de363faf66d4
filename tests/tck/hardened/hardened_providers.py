"""Broken providers for the hardened guarantees, each with the one bug its new test pins.

Every class is a reference provider with one realistic change; its docstring names the bug and
the backend behaviour it imitates.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

from omnicloud.providers.memory.cache import InMemoryCache
from omnicloud.providers.memory.document import InMemoryDocumentDatabase
from omnicloud.providers.memory.lock import InMemoryLockManager
from omnicloud.providers.memory.memstore import MemStore
from omnicloud.providers.memory.messaging import (
    InMemoryBroker,
    InMemoryConsumer,
    InMemoryProducer,
)
from omnicloud.providers.memory.outbox import InMemoryOutbox
from omnicloud.providers.memory.sagas import InMemorySagaRepository
from tck_py.shared.exceptions import PublishError
from tck_py.shared.models import ConsumedMessage


def contains(stored: Any, wanted: Any) -> bool:
    """JSONB ``@>`` semantics: objects and arrays contain their sub-objects and elements."""
    if isinstance(stored, Mapping) and isinstance(wanted, Mapping):
        return all(k in stored and contains(stored[k], v) for k, v in wanted.items())
    if isinstance(stored, list) and isinstance(wanted, list):
        return all(any(contains(s, w) for s in stored) for w in wanted)
    if isinstance(stored, list):
        return any(contains(s, wanted) for s in stored)
    return bool(stored == wanted)


# -- queue_delayed ----------------------------------------------------------------------------


class LongDelayDeliveredAtOnce(MemStore):
    """A delay above 60 s is treated as invalid and silently sent at once (a clamp to zero)."""

    async def queue_enqueue_delayed(
        self, queue: str, payload: bytes, delay: float, metadata: Any = None
    ) -> str:
        return await super().queue_enqueue_delayed(
            queue, payload, 0 if delay > 60 else delay, metadata
        )


# -- queue_visibility, queue_dead_letter ------------------------------------------------------


class ExpiredLeaseDropsMessage(MemStore):
    """A message whose lease runs out is deleted instead of made visible again (a queue that
    treats an expired lease as finished, so it never redelivers)."""

    def _reclaim(self, name: str) -> None:
        now = time.monotonic()
        entries = self._queue(name).entries
        for entry in list(entries.values()):
            if entry.invisible_until is not None and entry.invisible_until <= now:
                del entries[entry.message_id]


class DeadLettersLost(MemStore):
    """After ``max_deliveries`` a message leaves its queue but never reaches the dead-letter
    queue (a redrive to a queue that was never created)."""

    def _return(self, name: str, entry: Any) -> None:
        queue = self._queue(name)
        if queue.dead_letter is not None and entry.deliveries >= queue.dead_letter[1]:
            del queue.entries[entry.message_id]
            return
        super()._return(name, entry)


class PeekIsAReceive(MemStore):
    """A peek counts as a delivery, as an SQS receive with a zero visibility timeout does."""

    async def queue_peek(self, queue: str) -> Any:
        ready = self._visible(queue)
        if ready:
            ready[0].deliveries += 1
        return await super().queue_peek(queue)


# Not broken: backends with the service limits the queue suites accept must pass them.


class WholeSecondLeases(MemStore):
    """Visibility timeouts rounded up to whole seconds, as SQS counts them."""

    async def queue_dequeue_with_timeout(self, queue: str, visibility_timeout: float) -> Any:
        return await super().queue_dequeue_with_timeout(queue, math.ceil(visibility_timeout))

    async def queue_extend_visibility(
        self, queue: str, message_id: str, visibility_timeout: float
    ) -> bool:
        return await super().queue_extend_visibility(
            queue, message_id, math.ceil(visibility_timeout)
        )


class RedriveOnNextReceive(MemStore):
    """A failed message moves to its dead-letter queue only when its queue is next received
    from (or peeked), as SQS's redrive policy does."""

    def _return(self, name: str, entry: Any) -> None:
        entry.invisible_until = None  # visible again; the move waits for the next receive

    def _visible(self, name: str) -> Any:
        self._reclaim(name)
        queue = self._queue(name)
        if queue.dead_letter is not None:
            for entry in list(queue.entries.values()):
                if entry.invisible_until is None and entry.deliveries >= queue.dead_letter[1]:
                    MemStore._return(self, name, entry)
        return super()._visible(name)


# -- documents --------------------------------------------------------------------------------


def _is_operator(condition: Any) -> bool:
    return isinstance(condition, Mapping) and any(str(k).startswith("$") for k in condition)


class ContainmentQueryStore(MemStore):
    """``doc_find`` equality is JSONB containment (``@>``), as a naive PostgreSQL backend does."""

    async def doc_find(
        self, collection: str, filter: Mapping[str, Any], limit: Any = None, sort: Any = None
    ) -> list[dict[str, Any]]:
        operators = {k: v for k, v in filter.items() if _is_operator(v)}
        found = [
            d
            for d in await super().doc_find(collection, operators, None, sort)
            if all(k in d and contains(d[k], v) for k, v in filter.items() if k not in operators)
        ]
        return found if limit is None else found[:limit]


class PythonEqualityQueryStore(MemStore):
    """Filters compare with Python's ``==``, so ``True`` matches ``1`` and ``False`` ``0``."""

    async def doc_find(
        self, collection: str, filter: Mapping[str, Any], limit: Any = None, sort: Any = None
    ) -> list[dict[str, Any]]:
        everything = await super().doc_find(collection, {}, None, sort)

        def test(value: Any, condition: Any) -> bool:
            if isinstance(condition, Mapping) and "$ne" in condition:
                return bool(value != condition["$ne"])
            if isinstance(condition, Mapping) and "$in" in condition:
                return value in condition["$in"]
            return bool(value == condition)

        found = [d for d in everything if all(k in d and test(d[k], v) for k, v in filter.items())]
        return found if limit is None else found[:limit]


class ContainmentDocumentDatabase(InMemoryDocumentDatabase):
    """The document_database contract's equality is JSONB containment (``@>``)."""

    def _matching(self, collection: str, filter: Mapping[str, Any]) -> list[dict[str, Any]]:
        everything = super()._matching(collection, {})
        return [
            d for d in everything if all(k in d and contains(d[k], v) for k, v in filter.items())
        ]


class PythonEqualityDocumentDatabase(InMemoryDocumentDatabase):
    """The document_database contract's equality is Python's ``==`` (``True == 1``)."""

    def _matching(self, collection: str, filter: Mapping[str, Any]) -> list[dict[str, Any]]:
        everything = super()._matching(collection, {})
        return [d for d in everything if all(k in d and d[k] == v for k, v in filter.items())]


# -- cache ------------------------------------------------------------------------------------


class LateExpiryCache(InMemoryCache):
    """Entries live a second past their TTL (whole-second rounding up, a lazy sweeper)."""

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        await super().set(key, value, None if ttl is None else ttl + 1.0)


# -- producer ---------------------------------------------------------------------------------


class SlowFailingProducer(InMemoryProducer):
    """Keeps reconnecting to an unreachable broker for a minute before raising PublishError."""

    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        if self._unreachable:
            await asyncio.sleep(60)
            raise PublishError(self._unreachable)
        await super().publish(topic, payload, key, headers)


class SlowFailingBroker(InMemoryBroker):
    """A broker whose producers take a minute to report that the broker is down."""

    producer_class = SlowFailingProducer


class LeakyProducer(InMemoryProducer):
    """Also delivers each message to every other topic it has published to (a shared queue)."""

    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        seen: set[str] = self.__dict__.setdefault("seen", set())
        seen.add(topic)
        await super().publish(topic, payload, key, headers)
        for other in seen - {topic}:
            self._broker.topic(other).put(
                ConsumedMessage(payload=bytes(payload), key=key, headers=dict(headers or {}))
            )


class LeakyBroker(InMemoryBroker):
    """A broker whose producers leak messages into other topics."""

    producer_class = LeakyProducer


# -- consumer ---------------------------------------------------------------------------------


class AtMostOnceConsumer(InMemoryConsumer):
    """Takes a message off the topic before handling it; a stop mid-handling loses it."""

    async def _give_back(self, message: ConsumedMessage) -> None:
        return None


class AtMostOnceBroker(InMemoryBroker):
    """A broker whose consumers lose the message they held when stopped."""

    consumer_class = AtMostOnceConsumer


class FanOutBroker(InMemoryBroker):
    """Every consumer of a topic gets every message (pub/sub, not a shared subscription)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.copies: dict[str, list[str]] = {}

    def consumer(self, handler: Any, topic: str, config: Any = None) -> InMemoryConsumer:
        private = f"{topic}#{uuid.uuid4().hex}"
        self.copies.setdefault(topic, []).append(private)
        return super().consumer(handler, private, config)

    def producer(self, config: Mapping[str, Any] | None = None) -> InMemoryProducer:
        return FanOutProducer(self, config)


class FanOutProducer(InMemoryProducer):
    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        broker = self._broker
        assert isinstance(broker, FanOutBroker)
        for target in broker.copies.get(topic, [topic]):
            await super().publish(target, payload, key, headers)


# -- private-loop state machines ----------------------------------------------------------------


class LoopBound:
    """Like redis-py's asyncio client: closing it from another event loop is an error."""

    instances: ClassVar[list[LoopBound]] = []

    def bind(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.closed = 0
        LoopBound.instances.append(self)

    async def aclose(self) -> None:
        if asyncio.get_running_loop() is not self.loop or self.loop.is_closed():
            raise RuntimeError("Event loop is closed")
        self.closed += 1


class LoopBoundLockManager(InMemoryLockManager, LoopBound):
    """The in-memory lock manager with a client bound to the loop that created it."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.bind()


class LoopBoundSagaRepository(InMemorySagaRepository, LoopBound):
    """The in-memory saga repository with a client bound to the loop that created it."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.bind()


class LoopBoundOutbox(InMemoryOutbox, LoopBound):
    """The in-memory outbox with a client bound to the loop that created it."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.bind()
