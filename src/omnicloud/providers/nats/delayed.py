"""Delayed messaging on JetStream: a negative acknowledgement with a delay per message.

nats-server 2.9 has no scheduled delivery (message schedules came in 2.12). A delayed message is
stored at once on the broker's delay subject (``<ns>.d.<topic>``) with its due time; a mover
task reads them through a durable pull consumer and, for each one not yet due, sends
``-NAK {"delay": remaining}``: JetStream itself holds the message and delivers it again when it
is due. Every message is delayed on its own, so an earlier-due message is never held behind a
later-due one. A due message is stored on its topic, then acknowledged (at least once: a crash
in between leaves a duplicate, never a loss). Due times come from this client's clock and are
compared with it, so a message is never early.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from omnicloud.providers.delivery import stop_task

if TYPE_CHECKING:
    from omnicloud.providers.nats.messaging import NatsBroker

log = logging.getLogger(__name__)

DUE_HEADER = "Omnicloud-Due"
TOPIC_HEADER = "Omnicloud-Topic"


class NatsDelayedPublisher:
    """Publishes now, or onto the delay subject from which its mover delivers when due."""

    def __init__(self, broker: NatsBroker) -> None:
        self._broker = broker
        self._mover: asyncio.Task[None] | None = None

    async def publish(
        self,
        topic: str,
        payload: bytes,
        key: str | None = None,
        headers: Mapping[str, Any] | None = None,
        delay_seconds: float | None = None,
    ) -> None:
        from omnicloud.providers.nats.messaging import encode_message

        message = encode_message(key, headers)
        if not delay_seconds or delay_seconds <= 0:
            await self._broker.store(topic, payload, message)
            return
        due = time.time() + delay_seconds
        scheduled = {**message, DUE_HEADER: repr(due), TOPIC_HEADER: topic}
        await self._broker.schedule(topic, payload, scheduled)
        if self._mover is None:
            self._mover = asyncio.get_running_loop().create_task(self._move())

    async def _move(self) -> None:
        durable = await self._broker.delay_consumer()
        while True:
            try:
                for msg in await self._broker.pull(durable, wait=1.0):
                    await self._due_or_later(msg)
            except asyncio.CancelledError:
                raise
            except Exception:  # a broken connection must not end the mover silently
                log.exception("moving delayed messages failed; retrying")
                await asyncio.sleep(0.2)

    async def _due_or_later(self, msg: Any) -> None:
        headers = dict(msg.headers or {})
        remaining = float(headers.pop(DUE_HEADER)) - time.time()
        if remaining > 0:
            await msg.nak(delay=remaining)  # JetStream delivers it again when due
            return
        topic = headers.pop(TOPIC_HEADER)
        await self._broker.store(topic, bytes(msg.data), headers)
        await self._broker.ack(msg)

    async def aclose(self) -> None:
        """Stop the mover (on its own loop only; scheduled messages stay stored)."""
        if self._mover is not None:
            await stop_task(self._mover)


__all__ = ["NatsDelayedPublisher"]
