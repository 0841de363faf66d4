"""Lazy import of psycopg with an error that names the extra to install."""

from __future__ import annotations

from types import ModuleType

from omnicloud.errors import ProviderError


def psycopg_module() -> ModuleType:
    try:
        import psycopg
    except ImportError:
        raise ProviderError(
            "the PostgreSQL providers need psycopg, which is not installed",
            hint="pip install 'open-omni-cloud-tck[postgres]'",
        ) from None
    return psycopg
