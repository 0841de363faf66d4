"""Configuration: load ``omnicloud.toml`` once into immutable, typed models."""

from omnicloud.config.loader import find_config, load_config, parse_config
from omnicloud.config.models import Config, ProviderConfig, ServiceConfig

__all__ = [
    "Config",
    "ProviderConfig",
    "ServiceConfig",
    "find_config",
    "load_config",
    "parse_config",
]
