"""Helpers every MemStore family shares: one event-loop yield, argument checks, polling."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

POLL = 0.005  # how often blocking reads look again; in-memory, so cheap


async def tick() -> None:
    await asyncio.sleep(0)


def positive(name: str, value: float | None) -> None:
    if value is not None and not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def inclusive(length: int, start: int, stop: int) -> range:
    """Redis-style inclusive index range, negative indexes from the end."""
    start = max(start + length if start < 0 else start, 0)
    stop = min(stop + length if stop < 0 else stop, length - 1)
    return range(start, stop + 1) if start <= stop else range(0)


async def wait_for(take: Callable[[], Any], timeout: float) -> Any:
    """Call ``take`` until it returns something other than None, or ``timeout`` passes."""
    if timeout < 0:
        raise ValueError(f"timeout must be >= 0, got {timeout!r}")
    deadline = time.monotonic() + timeout
    while True:
        value = take()
        if value is not None or time.monotonic() >= deadline:
            return value
        await asyncio.sleep(min(POLL, max(deadline - time.monotonic(), 0)))
