"""Helpers shared by the interface suites: unique names, polling, and state machines.

State machines: hypothesis drives ``RuleBasedStateMachine`` rules synchronously, while providers
are async and bound to the test's event loop (a Redis client belongs to the loop that created
it). ``run_machine`` therefore runs hypothesis in a worker thread and sends every provider call
back to the test's loop with ``run_coroutine_threadsafe``; the test itself stays ``async`` (a
sync test in a class marked ``asyncio`` is a warning, an error under ``filterwarnings=error``).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

ProviderFactory = Callable[..., Awaitable[Any]]
T = TypeVar("T")

#: Bounded, deterministic budgets: the suites must stay fast and never flake.
MACHINE_SETTINGS = settings(
    max_examples=12,
    stateful_step_count=20,
    derandomize=True,
    deadline=None,
    database=None,
    # Input generation speed is the machine's, not the provider's (see primitives._support).
    suppress_health_check=list(HealthCheck),
)
#: Generous ceiling for one provider call made from a state machine.
CALL_TIMEOUT = 30.0


def unique(label: str = "k") -> str:
    """A name no other test uses: ``tck-<label>-<12 hex>``."""
    return f"tck-{label}-{uuid.uuid4().hex[:12]}"


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float, interval: float = 0.02
) -> bool:
    """Poll ``check`` until it is true or ``timeout`` seconds pass; return its last answer.

    Deadlines, not fixed sleeps: a loaded CI machine gets the whole window, a fast one returns
    at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(interval)


class ProviderMachine(RuleBasedStateMachine):
    """Base of the suites' state machines: ``self.provider`` is fresh for every example."""

    loop: ClassVar[asyncio.AbstractEventLoop]
    factory: ClassVar[ProviderFactory]

    def __init__(self) -> None:
        super().__init__()
        self.provider: Any = self.call(self.factory())

    def call(self, awaitable: Awaitable[T]) -> T:
        """Run one provider coroutine on the test's event loop and return its result."""

        async def wrap() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrap(), self.loop).result(CALL_TIMEOUT)


async def run_machine(
    machine: type[ProviderMachine],
    provider_factory: ProviderFactory,
    machine_settings: settings = MACHINE_SETTINGS,
) -> None:
    """Run ``machine`` against providers from ``provider_factory`` (see the module doc)."""
    bound = type(
        machine.__name__,
        (machine,),
        {
            "loop": asyncio.get_running_loop(),
            "factory": staticmethod(provider_factory),
        },
    )
    await asyncio.to_thread(run_state_machine_as_test, bound, settings=machine_settings)


@pytest.mark.asyncio
class InterfaceSuite:
    """Base of every interface suite: the one fixture a provider must supply.

    ``provider_factory`` is a sync fixture whose value is an async callable:
    ``provider = await provider_factory()`` gives a fresh provider.
    """

    interface: ClassVar[str] = ""

    @pytest.fixture
    def provider_factory(self) -> ProviderFactory:
        raise NotImplementedError(
            f"override the 'provider_factory' fixture to certify {self.interface or 'an'}"
            " interface: it must return an async callable that creates your provider"
        )


async def drain(take: Callable[[], Awaitable[T | None]], limit: int = 1000) -> list[T]:
    """Call ``take`` until it returns None; a provider that never runs dry fails, not hangs."""
    items: list[T] = []
    for _ in range(limit):
        item = await take()
        if item is None:
            return items
        items.append(item)
    raise AssertionError(f"still returning items after {limit} calls: nothing is ever removed")


async def observe_until(
    observe: Callable[[], Awaitable[T]], until: float, *, started: float, interval: float = 0.1
) -> list[tuple[float, T]]:
    """Call ``observe`` every ``interval`` seconds until ``until`` seconds after ``started``.

    Returns ``(elapsed, value)`` pairs, ``elapsed`` measured from ``started`` (take it BEFORE the
    call that sets the deadline) to when each observation RETURNED. "Not before the deadline"
    checks on these stay sound on a slow machine: a late observation only weakens the check, it
    never fails a correct provider.
    """
    seen: list[tuple[float, T]] = []
    while True:
        value = await observe()
        elapsed = time.monotonic() - started
        seen.append((elapsed, value))
        if elapsed >= until:
            return seen
        await asyncio.sleep(interval)
