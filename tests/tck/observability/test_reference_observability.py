"""The observability suites certify the instrumented reference operation through the adapter."""

from __future__ import annotations

import importlib
from typing import Any

from omnicloud.adapters.runtime import ProviderRuntime
from omnicloud.contracts import CONTRACTS
from omnicloud.providers.memory import observability as reference


def certified(contract: str, factory: Any, **options: Any) -> type:
    """A test class for ``contract`` wired the way the omnicloud plugin wires a provider."""
    spec = CONTRACTS[contract]
    module, _, name = spec.suite.partition(":")
    suite = getattr(importlib.import_module(module), name)
    runtime = ProviderRuntime(f"reference-{contract}", spec, factory, options)
    fixtures = importlib.import_module(spec.adapter).build_fixtures(runtime)
    return type(f"Reference_{contract}", (suite,), fixtures)


TestMemoryTracing = certified(
    "tracing", reference.InstrumentedOperation, expected_attributes=reference.SPAN_ATTRIBUTES
)
TestMemoryMetrics = certified(
    "metrics",
    reference.InstrumentedOperation,
    expected_operation_name="execute",
    expected_metric_names={"calls": reference.CALLS_METRIC, "duration": reference.DURATION_METRIC},
)
TestMemoryLogging = certified("logging", reference.InstrumentedOperation)
