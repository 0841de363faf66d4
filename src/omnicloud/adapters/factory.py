"""The common fixture shape: a factory fixture whose value is an async callable.

``await provider_factory(**kwargs)`` calls the configured factory with the provider's options,
overridden by ``kwargs`` (the multi-tenancy mixin passes ``tenant_id=``, the circuit breaker passes
``failure_threshold=`` and ``reset_timeout=``). Every provider created in a test is closed after it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from omnicloud.adapters.runtime import ProviderRuntime, close_quietly


def build_fixtures(runtime: ProviderRuntime) -> dict[str, Any]:
    async def factory_fixture(self: Any) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
        created: list[Any] = []

        async def _factory(*args: Any, **kwargs: Any) -> Any:
            provider = await runtime.create(*args, **kwargs)
            created.append(provider)
            return provider

        yield _factory
        for provider in reversed(created):
            await close_quietly(provider)

    factory_fixture.__name__ = runtime.contract.fixture
    return {
        runtime.contract.fixture: pytest.fixture(name=runtime.contract.fixture)(factory_fixture)
    }
