"""Every deliberately broken messaging provider is caught; the reference broker passes.

Each ``Mutant*`` class below is the reference in-memory broker with ONE realistic bug that the
contract forbids. All of them run, with the reference, in one in-process pytest run over a
generated module (a class per provider, wired through the real messaging adapter); a mutant's
remaining tests are skipped once one test has caught it, which keeps the run short.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from typing import Any

import mutant_harness
import pytest
from mutant_harness import collect_mutants

from omnicloud.providers.memory.messaging import (
    InMemoryBroker,
    InMemoryConsumer,
    InMemoryDelayedPublisher,
    InMemoryProducer,
    Topic,
)
from tck_py.shared.exceptions import PublishError
from tck_py.shared.models import ConsumedMessage

# -- producer -----------------------------------------------------------------------------------


class _SwallowingProducer(InMemoryProducer):
    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        try:
            await super().publish(topic, payload, key, headers)
        except PublishError:
            return  # "best effort": the caller never learns the message was lost


class MutantProducerSwallowsPublishError(InMemoryBroker):
    producer_class = _SwallowingProducer


class _WrongErrorProducer(InMemoryProducer):
    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        try:
            await super().publish(topic, payload, key, headers)
        except PublishError as exc:
            raise ConnectionError(str(exc)) from None


class MutantProducerRaisesConnectionError(InMemoryBroker):
    producer_class = _WrongErrorProducer


class MutantProducerOneQueueForAllTopics(InMemoryBroker):
    def topic(self, name: str) -> Topic:
        return super().topic("everything")


class _HeaderlessProducer(InMemoryProducer):
    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        await super().publish(topic, payload, key, None)


class MutantProducerDropsHeaders(InMemoryBroker):
    producer_class = _HeaderlessProducer


class _StackTopic(Topic):
    def put(self, message: ConsumedMessage, *, first: bool = False) -> None:
        super().put(message, first=first)
        self._messages.rotate(1)  # newest first


class MutantProducerNewestFirst(InMemoryBroker):
    topic_class = _StackTopic


class _TextProducer(InMemoryProducer):
    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        text = payload.decode("utf-8", errors="replace")  # treats payloads as text
        await super().publish(topic, text.encode("utf-8"), key, headers)


class MutantProducerCorruptsBinaryPayload(InMemoryBroker):
    producer_class = _TextProducer


# -- consumer -----------------------------------------------------------------------------------


class _FragileConsumer(InMemoryConsumer):
    async def _outcome(self, message: ConsumedMessage) -> str:
        outcome = await self._handler(message)  # an exception ends the consumer task
        return str(outcome.name)


class MutantConsumerStopsOnHandlerException(InMemoryBroker):
    consumer_class = _FragileConsumer


class _LostAckConsumer(InMemoryConsumer):
    """Acknowledges only every second success (an ack lost on the way): redelivers the rest."""

    acked: set[bytes]

    async def _outcome(self, message: ConsumedMessage) -> str:
        outcome = await super()._outcome(message)
        if outcome == "SUCCESS" and message.payload not in self.__dict__.setdefault("acked", set()):
            self.acked.add(message.payload)
            self._broker.topic(self._topic).put(message)
        return outcome


class MutantConsumerRedeliversAfterSuccess(InMemoryBroker):
    consumer_class = _LostAckConsumer


class _ShortConsumer(InMemoryConsumer):
    async def _deliver(self, message: ConsumedMessage) -> None:
        self._max_attempts = max(1, self._max_attempts - 1)
        await super()._deliver(message)
        self._max_attempts += 1


class MutantConsumerOneAttemptTooFew(InMemoryBroker):
    consumer_class = _ShortConsumer


class _LongConsumer(InMemoryConsumer):
    async def _deliver(self, message: ConsumedMessage) -> None:
        self._max_attempts += 1
        await super()._deliver(message)
        self._max_attempts -= 1


class MutantConsumerOneAttemptTooMany(InMemoryBroker):
    consumer_class = _LongConsumer


class _HeaderlessDeadLetters(InMemoryConsumer):
    def _dead_letter(self, message: ConsumedMessage) -> None:
        super()._dead_letter(message._replace(headers={}))


class MutantConsumerDeadLetterDropsHeaders(InMemoryBroker):
    consumer_class = _HeaderlessDeadLetters


class _KeylessDeadLetters(InMemoryConsumer):
    def _dead_letter(self, message: ConsumedMessage) -> None:
        super()._dead_letter(message._replace(key=None))


class MutantConsumerDeadLetterDropsKey(InMemoryBroker):
    consumer_class = _KeylessDeadLetters


class _RequeueingConsumer(InMemoryConsumer):
    """RETRY puts the message back at the end of the topic instead of redelivering it now."""

    async def _deliver(self, message: ConsumedMessage) -> None:
        outcome = await self._outcome(message)
        await asyncio.sleep(0.01)  # the round trip of a re-publish
        if outcome == "RETRY":
            self._broker.topic(self._topic).put(message)
        elif outcome == "FAIL":
            self._dead_letter(message)


class MutantConsumerRetryForgetsAttempts(InMemoryBroker):
    consumer_class = _RequeueingConsumer


class _DefaultAttemptsConsumer(InMemoryConsumer):
    def __init__(self, broker: InMemoryBroker, handler: Any, topic: str, config: Any) -> None:
        super().__init__(broker, handler, topic, {**config, "max_attempts": 3})


class MutantConsumerIgnoresMaxAttempts(InMemoryBroker):
    consumer_class = _DefaultAttemptsConsumer


class _AlwaysRetryOnceConsumer(InMemoryConsumer):
    def __init__(self, broker: InMemoryBroker, handler: Any, topic: str, config: Any) -> None:
        super().__init__(broker, handler, topic, config)
        self._max_attempts = max(2, self._max_attempts)


class MutantConsumerAlwaysRetriesOnce(InMemoryBroker):
    consumer_class = _AlwaysRetryOnceConsumer


class _AuditingConsumer(InMemoryConsumer):
    """Copies every successfully handled message to the dead-letter topic "for auditing"."""

    async def _outcome(self, message: ConsumedMessage) -> str:
        outcome = await super()._outcome(message)
        if outcome == "SUCCESS":
            self._dead_letter(message)
        return outcome


class MutantConsumerDeadLettersSuccesses(InMemoryBroker):
    consumer_class = _AuditingConsumer


# -- delayed messaging --------------------------------------------------------------------------


class _HastyPublisher(InMemoryDelayedPublisher):
    def _schedule(self, topic: str, message: ConsumedMessage, delay_seconds: float) -> None:
        super()._schedule(topic, message, delay_seconds * 0.9)


class MutantDelayedDeliveredEarly(InMemoryBroker):
    delayed_publisher_class = _HastyPublisher


class _FifoPublisher(InMemoryDelayedPublisher):
    """One worker sleeps until the OLDEST message is due: later messages wait behind it."""

    def __init__(self, broker: InMemoryBroker) -> None:
        super().__init__(broker)
        self._queue: deque[tuple[float, str, ConsumedMessage]] = deque()
        self._worker: asyncio.Task[None] | None = None

    def _schedule(self, topic: str, message: ConsumedMessage, delay_seconds: float) -> None:
        loop = asyncio.get_running_loop()
        self._queue.append((loop.time() + delay_seconds, topic, message))
        if self._worker is None:
            self._worker = loop.create_task(self._drain())

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            due, topic, message = self._queue[0]
            await asyncio.sleep(max(0.0, due - loop.time()))
            self._queue.popleft()
            self._broker.topic(topic).put(message)
        self._worker = None

    def close(self) -> None:
        super().close()
        if self._worker is not None:
            self._worker.cancel()


class MutantDelayedHeadOfLineBlocking(InMemoryBroker):
    delayed_publisher_class = _FifoPublisher


class _ImpatientPublisher(InMemoryDelayedPublisher):
    def _schedule(self, topic: str, message: ConsumedMessage, delay_seconds: float) -> None:
        self._broker.topic(topic).put(message)


class MutantDelayedIgnoresDelay(InMemoryBroker):
    delayed_publisher_class = _ImpatientPublisher


class _ForgetfulPublisher(InMemoryDelayedPublisher):
    def _schedule(self, topic: str, message: ConsumedMessage, delay_seconds: float) -> None:
        super()._schedule(topic, message._replace(headers={}), delay_seconds)


class MutantDelayedDropsHeaders(InMemoryBroker):
    delayed_publisher_class = _ForgetfulPublisher


class _BlockingImmediatePublisher(_FifoPublisher):
    """Immediate messages also go through the FIFO worker, behind pending delayed ones."""

    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
        delay_seconds: float | None = None,
    ) -> None:
        message = ConsumedMessage(payload, key, dict(headers or {}))
        self._schedule(topic, message, delay_seconds or 0.0)


class MutantDelayedImmediateWaitsBehindDelayed(InMemoryBroker):
    delayed_publisher_class = _BlockingImmediatePublisher


# -- the run (shared harness: mutant_harness.py) ---------------------------------------------

OPTIONS: dict[str, dict[str, Any]] = {}


REFERENCES: dict[str, tuple[str, Any]] = {
    "ReferenceProducer": ("producer", InMemoryBroker),
    "ReferenceConsumer": ("consumer", InMemoryBroker),
    "ReferenceDelayed": ("delayed_messaging", InMemoryBroker),
}

_CONTRACT_BY_PREFIX = {
    "MutantProducer": "producer",
    "MutantConsumer": "consumer",
    "MutantDelayed": "delayed_messaging",
}

MUTANTS = collect_mutants(globals(), _CONTRACT_BY_PREFIX)


def generated_classes() -> dict[str, type]:
    return mutant_harness.generated_classes({**REFERENCES, **MUTANTS}, OPTIONS)


def test_every_broken_messaging_provider_is_caught(pytester: pytest.Pytester) -> None:
    assert len(MUTANTS) >= 15
    outcomes = mutant_harness.run_all(pytester, __name__)
    mutant_harness.check(outcomes, MUTANTS, REFERENCES)
    print(dict(mutant_harness.caught_by(outcomes, MUTANTS)))  # which tests catch, for the docs
    print(mutant_harness.slowest(12))
