"""Lazy import of nats-py with an error that names the extra to install."""

from __future__ import annotations

from types import ModuleType

from omnicloud.errors import ProviderError


def nats_module() -> ModuleType:
    try:
        import nats
        import nats.js.api
        import nats.js.errors
    except ImportError:
        raise ProviderError(
            "the NATS providers need nats-py, which is not installed",
            hint="pip install 'open-omni-cloud-tck[nats]'",
        ) from None
    return nats
