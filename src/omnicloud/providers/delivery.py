"""At-least-once delivery with retries and a dead-letter topic, shared by the consumers.

Each message is handed to the handler up to ``max_attempts`` times (config, default 3) while it
answers ``RETRY`` or raises; ``SUCCESS`` acknowledges it; ``FAIL`` or exhausted attempts move it,
unchanged, to the dead-letter topic. Outcomes are compared by name, so any enum with
``SUCCESS``/``RETRY``/``FAIL`` members works. A consumer stopped (cancelled) while a message is
with its handler gives the message back to the head of its topic, so the next consumer gets it
(at least once across a restart). A backend supplies ``_run`` (its fetch loop), ``_to_dead_letter``
and ``_give_back``; starting and stopping the consumer's task is done here, for every backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from typing import Any, Protocol

from tck_py.shared.models import ConsumedMessage

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 3
Handler = Callable[[ConsumedMessage], Awaitable[Any]]


async def stop_task(task: asyncio.Task[None], grace: float = 2.0) -> None:
    """Cancel ``task`` and wait for it briefly, only on its own loop (another loop's task cannot
    be awaited here); an error it ended with is collected, not left for the loop to report. A
    loop should also check a stop flag: a cancellation that lands inside a client call can be
    absorbed by the client's own error handling, and the loop must still end."""
    task.cancel()
    if task.get_loop() is not asyncio.get_running_loop() or task.done():
        return
    await asyncio.wait({task}, timeout=grace)
    if task.done() and not task.cancelled():
        with contextlib.suppress(Exception):
            task.result()


async def close_children(children: list[Any]) -> None:
    """Stop, in the order they were handed out, the consumers and delayed publishers of a
    broker that is closing (each has ``aclose``); the list is emptied."""
    for child in children:
        await child.aclose()
    children.clear()


def dead_letter_topic(topic: str, config: Mapping[str, Any] | None = None) -> str:
    """The configured ``dead_letter_topic``, else ``<topic>.dlq``."""
    configured = (config or {}).get("dead_letter_topic")
    return str(configured) if configured else f"{topic}.dlq"


class DeadLetterNaming(Protocol):
    def dead_letter_topic(self, topic: str, config: Mapping[str, Any]) -> str: ...


class RetryingConsumer(ABC):
    """The delivery policy of a consumer and its task; subclasses fetch messages (``_run``,
    which should end once ``_stopped`` is set) and dead-letter them."""

    #: Seconds ``aclose`` waits for the consumer's task to end.
    stop_grace = 2.0
    task: asyncio.Task[None]

    def __init__(
        self, broker: DeadLetterNaming, handler: Handler, topic: str, config: Mapping[str, Any]
    ) -> None:
        self._handler = handler
        self._topic = topic
        self._max_attempts = max(1, int(config.get("max_attempts", DEFAULT_MAX_ATTEMPTS)))
        self._dead_letter_topic = broker.dead_letter_topic(topic, config)
        self._stopped = False

    def _start(self) -> None:
        """Run ``_run`` in a task of the running loop (the last step of a subclass's init)."""
        self.task = asyncio.get_running_loop().create_task(self._run())

    def cancel(self) -> bool:
        self._stopped = True
        return self.task.cancel()

    async def aclose(self) -> None:
        """Stop, and wait up to ``stop_grace`` seconds for the task (on its own loop only)."""
        self._stopped = True
        await stop_task(self.task, self.stop_grace)

    @abstractmethod
    async def _run(self) -> None:
        """Fetch messages and hand each to ``_deliver`` until stopped."""

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
