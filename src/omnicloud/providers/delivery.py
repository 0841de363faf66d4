"""At-least-once delivery with retries and a dead-letter topic, shared by the consumers.

Each message is handed to the handler up to ``max_attempts`` times (config, default 3) while it
answers ``RETRY`` or raises; ``SUCCESS`` acknowledges it; ``FAIL`` or exhausted attempts move it,
unchanged, to the dead-letter topic. Outcomes are compared by name, so any enum with
``SUCCESS``/``RETRY``/``FAIL`` members works. A consumer stopped (cancelled) while a message is
with its handler gives the message back to the head of its topic, so the next consumer gets it
(at least once across a restart). A backend supplies ``_to_dead_letter`` and ``_give_back``.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from typing import Any, Protocol

from tck_py.shared.models import ConsumedMessage

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 3
Handler = Callable[[ConsumedMessage], Awaitable[Any]]


class DeadLetterNaming(Protocol):
    def dead_letter_topic(self, topic: str, config: Mapping[str, Any]) -> str: ...


class RetryingConsumer(ABC):
    """The delivery policy of a consumer; subclasses fetch messages and dead-letter them."""

    def __init__(
        self, broker: DeadLetterNaming, handler: Handler, topic: str, config: Mapping[str, Any]
    ) -> None:
        self._handler = handler
        self._topic = topic
        self._max_attempts = max(1, int(config.get("max_attempts", DEFAULT_MAX_ATTEMPTS)))
        self._dead_letter_topic = broker.dead_letter_topic(topic, config)

    async def _deliver(self, message: ConsumedMessage) -> None:
        try:
            for _attempt in range(self._max_attempts):
                outcome = await self._outcome(message)
                if outcome == "SUCCESS":
                    return
                if outcome == "FAIL":
                    break
        except asyncio.CancelledError:
            # Stopped before the handler acknowledged: the message is not lost.
            await self._give_back(message)
            raise
        await self._to_dead_letter(message)

    async def _outcome(self, message: ConsumedMessage) -> str:
        try:
            outcome = await self._handler(message)
        except Exception:  # a crashing handler is a RETRY; it must never stop the consumer
            log.exception("handler raised on a message from %r; retrying it", self._topic)
            return "RETRY"
        return outcome.name if isinstance(outcome, Enum) else str(outcome)

    @abstractmethod
    async def _to_dead_letter(self, message: ConsumedMessage) -> None:
        """Put ``message`` on ``self._dead_letter_topic``."""

    @abstractmethod
    async def _give_back(self, message: ConsumedMessage) -> None:
        """Put ``message`` back at the head of ``self._topic`` (consumer stopped mid-handling)."""
