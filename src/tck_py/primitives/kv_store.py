"""Key-value store contract.

Fixture: ``provider_factory`` (sync) returning an async callable; ``await provider_factory()``
gives a fresh provider with async ``set(key, value)``, ``get(key) -> str | None`` and
``delete(key)``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

ProviderFactory = Callable[..., Awaitable[Any]]


def _key(label: str = "key") -> str:
    return f"tck-{label}-{uuid.uuid4()}"


@pytest.mark.asyncio
class BaseTestKVStoreContract:
    """The KV store contract. Subclass it and override ``provider_factory``."""

    @pytest.fixture
    def provider_factory(self) -> ProviderFactory:
        raise NotImplementedError(
            "override the 'provider_factory' fixture in your test class: it must return an async"
            " callable that creates your KV provider"
        )

    async def test_set_and_get_value(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "value-1")
        assert await provider.get(key) == "value-1"

    async def test_get_non_existent_key_returns_none(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        assert await provider.get(_key("missing")) is None

    async def test_set_overwrites_existing_value(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "first")
        await provider.set(key, "second")
        assert await provider.get(key) == "second"

    async def test_delete_removes_key(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "value")
        await provider.delete(key)
        assert await provider.get(key) is None

    async def test_delete_is_idempotent(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key("never-set")
        await provider.delete(key)
        await provider.delete(key)
        assert await provider.get(key) is None

    async def test_set_is_idempotent(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key, other = _key(), _key("other")
        for _ in range(3):
            await provider.set(key, "same")
        await provider.set(other, "different")
        assert await provider.get(key) == "same"
        assert await provider.get(other) == "different"
