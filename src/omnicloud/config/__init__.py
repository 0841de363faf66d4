"""Configuration: load ``omnicloud.toml`` once into immutable, typed models.

Names load on first use: ``omnicloud.config.find`` (where the file is) does not import the
models, so a noxfile with a cached session plan never pays for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omnicloud.config.find import find_config
    from omnicloud.config.loader import load_config, parse_config
    from omnicloud.config.models import Config, ProviderConfig, ServiceConfig

_EXPORTS = {
    "Config": "omnicloud.config.models",
    "ProviderConfig": "omnicloud.config.models",
    "ServiceConfig": "omnicloud.config.models",
    "find_config": "omnicloud.config.find",
    "load_config": "omnicloud.config.loader",
    "parse_config": "omnicloud.config.loader",
}

__all__ = [
    "Config",
    "ProviderConfig",
    "ServiceConfig",
    "find_config",
    "load_config",
    "parse_config",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
