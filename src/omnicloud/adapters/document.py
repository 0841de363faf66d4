"""Fixtures for the document database contract: ``provider, cleanup = await provider_factory()``.

``cleanup(collection)`` empties a collection: it calls the provider's
``drop_collection(collection)`` when there is one (the reference providers have it), and
otherwise deletes, one by one through ``delete_one``, the documents that ``find_many(collection,
{})`` returns. Every provider created in a test is closed after it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from omnicloud.adapters.runtime import ProviderRuntime, close_quietly, instantiate


async def empty_collection(provider: Any, collection: str) -> None:
    """Remove every document of ``collection`` from ``provider``."""
    drop = getattr(provider, "drop_collection", None)
    if callable(drop):
        await instantiate(drop, collection)
        return
    # One pass only: a provider whose delete_one is broken must not make cleanup loop forever.
    for document in await provider.find_many(collection, {}):
        await provider.delete_one(collection, {"_id": document["_id"]})


def build_fixtures(runtime: ProviderRuntime) -> dict[str, Any]:
    async def provider_factory(self: Any) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
        created: list[Any] = []

        async def _factory(
            *args: Any, **kwargs: Any
        ) -> tuple[Any, Callable[[str], Awaitable[None]]]:
            provider = await runtime.create(*args, **kwargs)
            created.append(provider)

            async def cleanup(collection: str) -> None:
                await empty_collection(provider, collection)

            return provider, cleanup

        yield _factory
        for provider in reversed(created):
            await close_quietly(provider)

    name = runtime.contract.fixture
    provider_factory.__name__ = name
    return {name: pytest.fixture(name=name)(provider_factory)}
