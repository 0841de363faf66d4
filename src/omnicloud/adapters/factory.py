"""The common fixture shape: a factory fixture whose value is an async callable.

``await provider_factory(**kwargs)`` calls the configured factory with the provider's options,
overridden by ``kwargs`` (the multi-tenancy mixin passes ``tenant_id=``, the circuit breaker passes
``failure_threshold=`` and ``reset_timeout=``). Every provider created in a test is closed after it,
on the test's loop; a provider created on another event loop (the resilience state machines make
theirs on a private loop) is closed by whoever runs that loop, never from here: a loop-bound
client (redis-py) fails with "Event loop is closed" when closed from another loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from omnicloud.adapters.runtime import ProviderRuntime, close_quietly


def build_fixtures(runtime: ProviderRuntime) -> dict[str, Any]:
    async def factory_fixture(self: Any) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
        created: list[tuple[Any, asyncio.AbstractEventLoop]] = []

        async def _factory(*args: Any, **kwargs: Any) -> Any:
            provider = await runtime.create(*args, **kwargs)
            created.append((provider, asyncio.get_running_loop()))
            return provider

        yield _factory
        here = asyncio.get_running_loop()
        for provider, loop in reversed(created):
            if loop is here:
                await close_quietly(provider)

    factory_fixture.__name__ = runtime.contract.fixture
    return {
        runtime.contract.fixture: pytest.fixture(name=runtime.contract.fixture)(factory_fixture)
    }
