"""The in-memory broker at a configured address, certified through the messaging adapter.

The reference providers of every messaging, resilience and observability contract are certified
in ``tests/tck/broken/test_broken_*.py`` (in the same run that proves each broken provider is
caught) and by the repository's ``omnicloud.toml``; this module adds the configurations those
runs do not cover.
"""

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


TestAddressedProducer = certified("producer", InMemoryBroker, address="memory://orders")
TestAddressedConsumer = certified(
    "consumer", InMemoryBroker, address="memory://orders", dead_letter_suffix=".dead"
)
