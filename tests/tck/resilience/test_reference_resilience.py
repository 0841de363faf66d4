"""The resilience suites certify the in-memory and SQLite reference providers (via adapters)."""

from __future__ import annotations

import importlib
from typing import Any

from omnicloud.adapters.runtime import ProviderRuntime
from omnicloud.contracts import CONTRACTS


def certified(contract: str, factory: Any, **options: Any) -> type:
    """A test class for ``contract`` wired the way the omnicloud plugin wires a provider."""
    spec = CONTRACTS[contract]
    module, _, name = spec.suite.partition(":")
    suite = getattr(importlib.import_module(module), name)
    runtime = ProviderRuntime(f"reference-{contract}", spec, factory, options)
    fixtures = importlib.import_module(spec.adapter).build_fixtures(runtime)
    return type(f"Reference_{contract}", (suite,), fixtures)


def _memory(module: str, attr: str) -> Any:
    return getattr(importlib.import_module(f"omnicloud.providers.memory.{module}"), attr)


TestMemoryOutbox = certified("transactional_outbox", _memory("outbox", "InMemoryOutbox"))
TestMemorySagas = certified("sagas", _memory("sagas", "InMemorySagaRepository"))
TestMemoryLock = certified("distributed_lock", _memory("lock", "InMemoryLockManager"))
TestMemoryBreaker = certified("circuit_breaker", _memory("breaker", "InMemoryCircuitBreaker"))


def _sqlite(module: str, attr: str) -> Any:
    return getattr(importlib.import_module(f"omnicloud.providers.sqlite.{module}"), attr)


TestSQLiteOutbox = certified("transactional_outbox", _sqlite("outbox", "SQLiteOutbox"))
TestSQLiteSagas = certified("sagas", _sqlite("sagas", "SQLiteSagaRepository"))
