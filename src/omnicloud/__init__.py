"""omnicloud: certify infrastructure providers against the Open Omni-Cloud contracts.

The public surface is listed in ``__all__``; everything else may move between releases.
Attributes load on first use, so importing ``omnicloud`` (as the pytest plugin does) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Config": "omnicloud.config.models",
    "load_config": "omnicloud.config.loader",
    "Engine": "omnicloud.api",
    "Environment": "omnicloud.api",
    "ExecutionResult": "omnicloud.api",
    "TestData": "omnicloud.api",
    "TestOutcome": "omnicloud.api",
    "TestWorkflow": "omnicloud.api",
    "register_application": "omnicloud.api",
    "CertifyOptions": "omnicloud.pipeline",
    "certify": "omnicloud.pipeline",
    "Selection": "omnicloud.plan",
    "plan": "omnicloud.plan",
    "load_results": "omnicloud.results",
    "OmnicloudError": "omnicloud.errors",
    "ConfigError": "omnicloud.errors",
    "ExitCode": "omnicloud.errors",
}

__all__ = [
    "CertifyOptions",
    "Config",
    "ConfigError",
    "Engine",
    "Environment",
    "ExecutionResult",
    "ExitCode",
    "OmnicloudError",
    "Selection",
    "TestData",
    "TestOutcome",
    "TestWorkflow",
    "certify",
    "load_config",
    "load_results",
    "plan",
    "register_application",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'omnicloud' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
