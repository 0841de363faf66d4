"""Fixtures for the secrets contract: the factory seeds the pre-configured secret.

The suite expects every provider to already hold the secret named by the
``pre_configured_secret_name`` fixture with the value of ``pre_configured_secret_value``. The
configured factory is therefore called with ``secrets={name: value}`` (merged over any
``secrets`` given in the provider's ``options``): it must make those secrets readable, e.g. an
in-memory provider stores them, a Vault provider writes them before returning.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest

from omnicloud.adapters.runtime import ProviderRuntime, close_quietly
from omnicloud.errors import ProviderError


def seeded_secrets(runtime: ProviderRuntime, name: str, value: str) -> dict[str, str]:
    """The ``secrets=`` argument for the factory: configured secrets plus the suite's one."""
    configured = runtime.options.get("secrets") or {}
    if not isinstance(configured, Mapping):
        raise ProviderError(
            f"providers.{runtime.name}.options.secrets must be a table of name = value,"
            f" got {configured!r}"
        )
    return {**configured, name: value}


def check_accepts_secrets(runtime: ProviderRuntime) -> None:
    """Fail clearly, naming the provider, when its factory cannot take ``secrets=``."""
    try:
        parameters = inspect.signature(runtime.factory).parameters.values()
    except (TypeError, ValueError):  # no introspectable signature: let the call decide
        return
    if not any(p.name == "secrets" or p.kind is p.VAR_KEYWORD for p in parameters):
        raise ProviderError(
            f"providers.{runtime.name}: the secrets contract calls the factory with"
            " secrets={name: value} to seed the pre-configured secret, but"
            f" {getattr(runtime.factory, '__qualname__', runtime.factory)!s} takes no 'secrets'"
            " argument",
            hint="accept secrets: Mapping[str, str] and make those secrets readable",
        )


def build_fixtures(runtime: ProviderRuntime) -> dict[str, Any]:
    async def provider_factory(
        self: Any, pre_configured_secret_name: str, pre_configured_secret_value: str
    ) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
        created: list[Any] = []
        check_accepts_secrets(runtime)
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
