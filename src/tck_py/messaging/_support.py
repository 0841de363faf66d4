"""Small helpers shared by the messaging suites (private: not part of the upstream surface)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

#: Extra time a correct provider gets, beyond the moment a message is due, before a test says
#: "not delivered". Generous so that a loaded 2-core CI machine never fails a correct provider;
#: it is never used to excuse EARLY delivery.
DELIVERY_SLACK = 1.5


def unique_topic(label: str) -> str:
    return f"tck-{label}-{uuid.uuid4()}"


def header_text(value: Any) -> Any:
    """Header values may come back as ``str`` or UTF-8 ``bytes``; compare them as text."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8")
    return value


def headers_as_text(headers: Mapping[str, Any] | None) -> dict[str, Any]:
    return {str(k): header_text(v) for k, v in (headers or {}).items()}


async def within(seconds: float, awaitable: Awaitable[T], what: str) -> T:
    """Await ``awaitable`` for at most ``seconds``; fail the test naming ``what`` on timeout."""
    try:
        return await asyncio.wait_for(awaitable, timeout=seconds)
    except TimeoutError:
        pytest.fail(f"{what} did not happen within {seconds:.1f} s")


async def wait_until(
    condition: Callable[[], bool], seconds: float, what: str, poll: float = 0.01
) -> None:
    """Poll ``condition`` until it is true or ``seconds`` pass (then fail naming ``what``)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            pytest.fail(f"{what} did not happen within {seconds:.1f} s")
        await asyncio.sleep(poll)
