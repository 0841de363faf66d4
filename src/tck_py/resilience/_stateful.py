"""Running hypothesis state machines against async providers (private helper of the suites).

The contract tests are ``async def`` and run inside pytest-asyncio's event loop, where another
loop cannot be driven. :func:`run_machine` therefore runs the machine in a worker thread, and
every :class:`AsyncStateMachine` drives its provider on a private event loop created for each
example and closed after it. Providers are created by awaiting the suite's factory on that
private loop (:meth:`AsyncStateMachine.make_provider`), so they must be usable from the loop that
created them (true of providers whose clients are created inside the factory), and the machine
closes them (``aclose()`` or ``close()``) on that same loop before closing it: a loop-bound
client (redis-py, asyncpg) cannot be closed from another loop once its own is gone. A factory
fixture that also closes what it made must therefore skip providers made on another loop
(``omnicloud.adapters.factory`` does).

The example budget is bounded and deterministic (``derandomize=True``, no example database),
so a run always explores the same sequences and never writes a ``.hypothesis`` folder.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

# Called through Any: hypothesis's annotations of this function differ between releases.
_run_machine: Any = run_state_machine_as_test


T = TypeVar("T")

MAX_EXAMPLES = 12
STEPS = 25


class AsyncStateMachine(RuleBasedStateMachine):
    """A state machine whose rules drive an async provider on a private event loop."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self._created: list[Any] = []

    def run(self, awaitable: Awaitable[T]) -> T:
        return self.loop.run_until_complete(awaitable)

    def make_provider(self, factory: Callable[[], Awaitable[T]]) -> T:
        """A provider from ``factory``, made on this machine's loop and closed on it."""
        provider = self.run(factory())
        self._created.append(provider)
        return provider

    def teardown(self) -> None:
        try:
            for provider in reversed(self._created):
                self.run(close_provider(provider))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        finally:
            self.loop.close()


async def close_provider(provider: Any) -> None:
    """Close ``provider`` through ``aclose()`` or ``close()`` (sync or async), if it has one."""
    for name in ("aclose", "close"):
        method = getattr(provider, name, None)
        if callable(method):
            result = method()
            if inspect.isawaitable(result):
                await result
            return


def _run_sync(machine: type[AsyncStateMachine], max_examples: int, steps: int) -> None:
    _run_machine(
        machine,
        settings=settings(
            max_examples=max_examples,
            stateful_step_count=steps,
            derandomize=True,
            deadline=None,
            database=None,
            print_blob=False,
            suppress_health_check=list(HealthCheck),
        ),
    )


async def run_machine(
    machine: type[AsyncStateMachine], max_examples: int = MAX_EXAMPLES, steps: int = STEPS
) -> None:
    """Run ``machine`` to completion off the current event loop (see the module docstring)."""
    await asyncio.to_thread(_run_sync, machine, max_examples, steps)
