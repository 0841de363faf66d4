"""Lazy import of redis-py (asyncio API) with an error that names the extra to install."""

from __future__ import annotations

from types import ModuleType

from omnicloud.errors import ProviderError


def redis_asyncio() -> ModuleType:
    try:
        import redis.asyncio
    except ImportError:
        raise ProviderError(
            "the Redis providers need redis-py, which is not installed",
            hint="pip install 'open-omni-cloud-tck[redis]'",
        ) from None
    return redis.asyncio
