"""Fixtures for the secrets contract: the factory seeds the pre-configured secret.

The suite expects every provider to already hold the secret named by the
``pre_configured_secret_name`` fixture with the value of ``pre_configured_secret_value``. The
configured factory is therefore called with ``secrets={name: value}`` (merged over any
``secrets`` given in the provider's ``options``): it must make those secrets readable, e.g. an
in-memory provider stores them, a Vault provider writes them before returning.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest

from omnicloud.adapters.runtime import ProviderRuntime, close_quietly


def seeded_secrets(runtime: ProviderRuntime, name: str, value: str) -> dict[str, str]:
    """The ``secrets=`` argument for the factory: configured secrets plus the suite's one."""
    configured = runtime.options.get("secrets") or {}
    if not isinstance(configured, Mapping):
        raise TypeError(f"providers.{runtime.name}.options.secrets must be a table of name = value")
    return {**configured, name: value}


def build_fixtures(runtime: ProviderRuntime) -> dict[str, Any]:
    async def provider_factory(
        self: Any, pre_configured_secret_name: str, pre_configured_secret_value: str
    ) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
        created: list[Any] = []
        secrets = seeded_secrets(runtime, pre_configured_secret_name, pre_configured_secret_value)

        async def _factory(*args: Any, **kwargs: Any) -> Any:
            provider = await runtime.create(*args, **{"secrets": secrets, **kwargs})
            created.append(provider)
            return provider

        yield _factory
        for provider in reversed(created):
            await close_quietly(provider)

    name = runtime.contract.fixture
    provider_factory.__name__ = name
    return {name: pytest.fixture(name=name)(provider_factory)}
