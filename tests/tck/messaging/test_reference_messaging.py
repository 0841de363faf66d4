"""The messaging suites certify the in-memory broker through the messaging adapter."""

from __future__ import annotations

import importlib
from typing import Any

from omnicloud.adapters.runtime import ProviderRuntime
from omnicloud.contracts import CONTRACTS
from omnicloud.providers.memory.messaging import InMemoryBroker


def certified(contract: str, factory: Any, **options: Any) -> type:
    """A test class for ``contract`` wired the way the omnicloud plugin wires a provider."""
    spec = CONTRACTS[contract]
    module, _, name = spec.suite.partition(":")
    suite = getattr(importlib.import_module(module), name)
    runtime = ProviderRuntime(f"reference-{contract}", spec, factory, options)
    fixtures = importlib.import_module(spec.adapter).build_fixtures(runtime)
    return type(f"Reference_{contract}", (suite,), fixtures)


TestMemoryProducer = certified("producer", InMemoryBroker)
TestMemoryConsumer = certified("consumer", InMemoryBroker)
TestMemoryDelayed = certified("delayed_messaging", InMemoryBroker)
TestAddressedBroker = certified("producer", InMemoryBroker, address="memory://orders")
