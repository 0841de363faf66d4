"""Queues on RabbitMQ: basic, visibility, dead letter, priority.

Each logical queue is one classic queue (``<ns>q.<name>``) declared with priorities and a
dead-letter exchange. A message taken with a visibility timeout is an unacknowledged delivery
on this provider's channel: RabbitMQ itself keeps it from every other consumer until it is
acknowledged (``queue_ack``), rejected back into place (``queue_release``, or the timeout,
which this provider runs), or the channel closes (RabbitMQ requeues it). ``queue_peek`` takes
the head and puts it straight back (classic queues requeue to the original position).

Delivery counts are kept by the provider instance: classic queues do not count deliveries
(only quorum queues do, and those have no priorities in 3.10). When a message has been
delivered ``max_deliveries`` times without an ack, the provider moves it itself: it publishes
a copy to the dead-letter queue, waits for RabbitMQ's publisher confirm, then acknowledges
the original (at least once: a crash in between leaves a duplicate, never a loss). RabbitMQ's
own dead-letter exchanges are not used: for classic queues they are at most once, and
asynchronous, so a reader right after the move could miss the message.

Priorities: ``-10`` to ``10`` (RabbitMQ priorities are small unsigned numbers and each level
costs memory, so the range is bounded; outside it is a ``ValueError``); a plain enqueue is 0.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omnicloud.providers.rabbitmq._base import RabbitBase, check_metadata, user_headers
from omnicloud.providers.rabbitmq._client import aio_pika
from tck_py.interfaces.models import QueueMessage

PRIORITY_LIMIT = 10


def _positive(name: str, value: float) -> None:
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


@dataclass
class _Taken:
    """A delivery this provider holds unacknowledged, and when it must come back."""

    message: Any
    deadline: asyncio.TimerHandle


class RabbitQueues(RabbitBase):
    """The ``queue_*`` interfaces (see the module docstring)."""

    def __init__(self, connection: Any, channel: Any, prefix: str = "", **options: Any) -> None:
        super().__init__(connection, channel, prefix, **options)
        self._deliveries: dict[tuple[str, str], int] = {}
        self._taken: dict[tuple[str, str], _Taken] = {}
        self._dead_letter: dict[str, tuple[str, int]] = {}
        self._returning: set[asyncio.Task[None]] = set()

    def _queue_name(self, queue: str) -> str:
        return self._name("q", queue)

    async def _queue(self, queue: str) -> Any:
        arguments = {"x-max-priority": 2 * PRIORITY_LIMIT}
        return await self._declare_queue(self._queue_name(queue), durable=True, arguments=arguments)

    # -- queue_basic ----------------------------------------------------------------------------
    def _message(
        self, payload: bytes, amqp_priority: int, metadata: Mapping[str, str] | None
    ) -> tuple[str, Any]:
        if not isinstance(payload, bytes | bytearray):
            raise TypeError(f"payload must be bytes, got {type(payload).__name__}")
        message_id = uuid.uuid4().hex
        message = aio_pika().Message(
            bytes(payload),
            headers=check_metadata(metadata),
            message_id=message_id,
            priority=amqp_priority,
            delivery_mode=aio_pika().DeliveryMode.PERSISTENT,
        )
        return message_id, message

    async def _put(
        self, queue: str, payload: bytes, priority: int, metadata: Mapping[str, str] | None
    ) -> str:
        if not -PRIORITY_LIMIT <= priority <= PRIORITY_LIMIT:
            raise ValueError(f"priority must be in -{PRIORITY_LIMIT}..{PRIORITY_LIMIT}")
        message_id, message = self._message(payload, priority + PRIORITY_LIMIT, metadata)
        target = await self._queue(queue)
        await self._channel.default_exchange.publish(message, routing_key=target.name)
        return message_id

    def _view(self, queue: str, message: Any, delivered: bool) -> QueueMessage:
        message_id = str(message.message_id)
        count = self._deliveries.get((queue, message_id), 0) + int(delivered)
        if delivered:
            self._deliveries[(queue, message_id)] = count
        return QueueMessage(message_id, bytes(message.body), user_headers(message.headers), count)

    async def _get(self, queue: str) -> Any:
        return await (await self._queue(queue)).get(no_ack=False, fail=False)

    async def queue_enqueue(
        self, queue: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        return await self._put(queue, payload, 0, metadata)

    async def queue_dequeue(self, queue: str) -> QueueMessage | None:
        message = await self._get(queue)
        if message is None:
            return None
        view = self._view(queue, message, delivered=True)
        await message.ack()
        self._deliveries.pop((queue, view.message_id), None)
        return view

    async def queue_peek(self, queue: str) -> QueueMessage | None:
        message = await self._get(queue)
        if message is None:
            return None
        view = self._view(queue, message, delivered=False)
        await message.nack(requeue=True)
        return view

    # -- queue_visibility -----------------------------------------------------------------------
    async def queue_dequeue_with_timeout(
        self, queue: str, visibility_timeout: float
    ) -> QueueMessage | None:
        _positive("visibility_timeout", visibility_timeout)
        message = await self._get(queue)
        if message is None:
            return None
        view = self._view(queue, message, delivered=True)
        key = (queue, view.message_id)
        self._taken[key] = _Taken(message, self._expire_later(key, visibility_timeout))
        return view

    def _expire_later(self, key: tuple[str, str], seconds: float) -> asyncio.TimerHandle:
        return self._loop.call_later(seconds, self._expire, key)

    def _expire(self, key: tuple[str, str]) -> None:
        taken = self._taken.pop(key, None)
        if taken is not None:
            task = self._loop.create_task(self._give_back(key, taken.message))
            self._returning.add(task)
            task.add_done_callback(self._returning.discard)

    async def _give_back(self, key: tuple[str, str], message: Any) -> None:
        """Back into place, or to the dead-letter queue after ``max_deliveries``."""
        configured = self._dead_letter.get(key[0])
        if configured is not None and self._deliveries.get(key, 0) >= configured[1]:
            self._deliveries.pop(key, None)
            target = await self._queue(configured[0])
            copy = aio_pika().Message(
                bytes(message.body),
                headers=dict(message.headers or {}),
                message_id=message.message_id,
                priority=message.priority,
                delivery_mode=aio_pika().DeliveryMode.PERSISTENT,
            )
            await self._channel.default_exchange.publish(copy, routing_key=target.name)
            await message.ack()
            return
        await message.nack(requeue=True)

    def _held(self, queue: str, message_id: str) -> _Taken | None:
        return self._taken.get((queue, message_id))

    async def queue_extend_visibility(
        self, queue: str, message_id: str, visibility_timeout: float
    ) -> bool:
        _positive("visibility_timeout", visibility_timeout)
        taken = self._held(queue, message_id)
        if taken is None:
            return False
        taken.deadline.cancel()
        taken.deadline = self._expire_later((queue, message_id), visibility_timeout)
        return True

    async def queue_release(self, queue: str, message_id: str) -> bool:
        taken = self._taken.pop((queue, message_id), None)
        if taken is None:
            return False
        taken.deadline.cancel()
        await self._give_back((queue, message_id), taken.message)
        return True

    async def queue_ack(self, queue: str, message_id: str) -> bool:
        taken = self._taken.pop((queue, message_id), None)
        if taken is None:
            return False
        taken.deadline.cancel()
        await taken.message.ack()
        self._deliveries.pop((queue, message_id), None)
        return True

    # -- queue_dead_letter ----------------------------------------------------------------------
    async def queue_configure_dead_letter(
        self, queue: str, dead_letter_queue: str, max_deliveries: int
    ) -> None:
        _positive("max_deliveries", max_deliveries)
        if dead_letter_queue == queue:
            raise ValueError("a queue cannot be its own dead-letter queue")
        await self._queue(dead_letter_queue)
        self._dead_letter[queue] = (dead_letter_queue, max_deliveries)

    async def queue_get_dead_letters(self, queue: str) -> list[QueueMessage]:
        """Every message waiting in the dead-letter queue, left in place (taken, then put
        back: classic queues requeue to the original position)."""
        configured = self._dead_letter.get(queue)
        if configured is None:
            return []
        held = []
        try:
            while (message := await self._get(configured[0])) is not None:
                held.append(message)
            return [self._view(configured[0], m, delivered=False) for m in held]
        finally:
            for message in held:
                await message.nack(requeue=True)

    # -- queue_priority -------------------------------------------------------------------------
    async def queue_enqueue_with_priority(
        self, queue: str, payload: bytes, priority: int, metadata: Mapping[str, str] | None = None
    ) -> str:
        return await self._put(queue, payload, priority, metadata)

    async def aclose(self) -> None:
        for taken in self._taken.values():
            taken.deadline.cancel()
        self._taken.clear()
        if self._returning and self._loop is asyncio.get_running_loop():
            await asyncio.gather(*self._returning, return_exceptions=True)
        await super().aclose()


__all__ = ["PRIORITY_LIMIT", "RabbitQueues"]
