"""What an adapter knows about a provider at run time."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from omnicloud.contracts import ContractSpec


@dataclass(frozen=True)
class ProviderRuntime:
    """A provider ready to instantiate: its imported factory and its resolved options.

    ``options`` have secrets unwrapped and ``{services.<name>.<field>}`` placeholders filled with
    the endpoints of the services provisioned for this run (and this xdist worker).
    """

    name: str
    contract: ContractSpec
    factory: Callable[..., Any]
    raw_options: Mapping[str, Any] = field(default_factory=dict)
    resolve: Callable[[Mapping[str, Any]], Mapping[str, Any]] = dict

    @property
    def options(self) -> Mapping[str, Any]:
        """Options resolved now: endpoints are known only once services are up."""
        return self.resolve(self.raw_options)

    async def create(self, *args: Any, **kwargs: Any) -> Any:
        """Call the factory with the configured options, overridden by ``kwargs``."""
        return await instantiate(self.factory, *args, **{**self.options, **kwargs})


async def instantiate(factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``factory``; await the result when it is awaitable."""
    result = factory(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


async def close_quietly(obj: Any) -> None:
    """Close a provider if it offers ``aclose()`` or ``close()`` (sync or async)."""
    for name in ("aclose", "close"):
        method = getattr(obj, name, None)
        if callable(method):
            result = method()
            if inspect.isawaitable(result):
                await result
            return
