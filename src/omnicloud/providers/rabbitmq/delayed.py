"""``queue_delayed`` on RabbitMQ: one TTL queue per (delay, queue), dead-lettered when due.

RabbitMQ has no delayed queue (the delayed-message exchange is a plugin, not installed here).
A TTL per message does not make one either: RabbitMQ expires only the message at the head of a
queue, so a message due in a second waits behind one due in an hour. Here every waiting queue
holds messages of one delay only (``x-message-ttl`` in ms, rounded up so nothing is early):
they expire in arrival order, which is due order, and RabbitMQ's dead-lettering moves each to
its queue (``x-dead-letter-routing-key``) with its id, headers and priority. The costs: one
queue per distinct delay and destination (an idle one expires a minute after its last message
is due, ``x-expires``), and classic-queue dead-lettering is at most once (a node crash at that
instant loses the message).

``queue_scheduled_count`` sums the waiting queues' message counts as RabbitMQ reports them,
for the delays this provider instance used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from omnicloud.providers.rabbitmq.queue import PRIORITY_LIMIT, RabbitQueues

#: Seconds an idle waiting queue outlives the due time of its last message.
IDLE_WAITING_QUEUE = 60.0


class RabbitDelayedQueues(RabbitQueues):
    """``queue_enqueue_delayed`` and ``queue_scheduled_count`` (see the module docstring)."""

    def __init__(self, connection: Any, channel: Any, prefix: str = "", **options: Any) -> None:
        super().__init__(connection, channel, prefix, **options)
        self._delays: dict[str, set[int]] = {}

    async def _waiting(self, queue: str, delay_ms: int) -> Any:
        """The waiting queue, declared again each time: that restarts its ``x-expires``."""
        target = await self._queue(queue)
        waiting = await self._channel.declare_queue(
            self._name(f"delay.{delay_ms}", queue),
            durable=True,
            arguments={
                "x-message-ttl": delay_ms,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": target.name,
                "x-expires": delay_ms + int(IDLE_WAITING_QUEUE * 1000),
            },
        )
        self._queues[waiting.name] = waiting  # deleted at close
        return waiting

    async def queue_enqueue_delayed(
        self, queue: str, payload: bytes, delay: float, metadata: Mapping[str, str] | None = None
    ) -> str:
        if delay < 0:
            raise ValueError(f"delay must be >= 0, got {delay!r}")
        if delay == 0:
            return await self._put(queue, payload, 0, metadata)
        delay_ms = math.ceil(delay * 1000)
        waiting = await self._waiting(queue, delay_ms)
        self._delays.setdefault(queue, set()).add(delay_ms)
        message_id, message = self._message(payload, PRIORITY_LIMIT, metadata)
        await self._channel.default_exchange.publish(message, routing_key=waiting.name)
        return message_id

    async def queue_scheduled_count(self, queue: str) -> int:
        total = 0
        for delay_ms in sorted(self._delays.get(queue, ())):
            waiting = await self._waiting(queue, delay_ms)
            total += int(waiting.declaration_result.message_count or 0)
        return total


__all__ = ["RabbitDelayedQueues"]
