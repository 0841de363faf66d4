"""Fixtures for the observability contracts (tracing, metrics, logging) from a factory.

For each test the adapter builds fresh OpenTelemetry SDK plumbing and calls the configured
``factory`` with the provider's ``options`` plus:

* tracing: ``tracer_provider=`` an SDK ``TracerProvider`` exporting to an in-memory exporter;
* metrics: ``meter_provider=`` an SDK ``MeterProvider`` read by an ``InMemoryMetricReader``;
* logging: ``log_stream=`` an ``io.StringIO`` the provider writes its JSON lines to, and
  ``tenant_id=`` when the test asks for a tenant;
* ``should_fail=True`` when a test needs ``some_operation()`` to fail (only then).

Nothing global is touched: the providers are handed to the factory, never installed with
``set_tracer_provider``/``set_meter_provider``, so no result depends on test order.

Three option keys are read by the adapter and NOT passed to the factory; they feed the suites'
expectation fixtures:

* ``expected_attributes`` (tracing): span attributes the provider sets;
* ``expected_metric_names`` (metrics): ``{calls = "<counter>", duration = "<histogram>"}``;
* ``expected_operation_name`` (metrics): the ``operation`` attribute value.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from omnicloud.adapters.runtime import ProviderRuntime, close_quietly, instantiate

EXPECTATION_KEYS = ("expected_attributes", "expected_metric_names", "expected_operation_name")
#: Options this adapter consumes itself (the factory never receives them).
ADAPTER_OPTIONS = EXPECTATION_KEYS


def factory_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options the factory receives: all but the adapter's expectation keys."""
    return {k: v for k, v in options.items() if k not in EXPECTATION_KEYS}


def _param(request: pytest.FixtureRequest) -> dict[str, Any]:
    param = getattr(request, "param", None)
    return dict(param) if isinstance(param, Mapping) else {}


def _failure(param: Mapping[str, Any]) -> dict[str, Any]:
    return {"should_fail": True} if param.get("should_fail") else {}


def metric_points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    """``{metric name: data points}`` from everything the reader has collected."""
    data = reader.get_metrics_data()
    points: dict[str, list[Any]] = {}
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                points.setdefault(metric.name, []).extend(metric.data.data_points)
    return points


def _tracing(runtime: ProviderRuntime) -> Any:
    async def instrumented_provider_factory(
        self: Any, request: pytest.FixtureRequest
    ) -> AsyncIterator[Any]:
        tracer_provider = TracerProvider()
        exporter = InMemorySpanExporter()
        processor = SimpleSpanProcessor(exporter)
        tracer_provider.add_span_processor(processor)
        provider = await instantiate(
            runtime.factory,
            **factory_options(runtime.options),
            tracer_provider=tracer_provider,
            **_failure(_param(request)),
        )

        def get_finished_spans() -> tuple[Any, ...]:
            processor.force_flush()
            spans = exporter.get_finished_spans()
            exporter.clear()
            return spans

        try:
            yield provider, get_finished_spans
        finally:
            await close_quietly(provider)
            tracer_provider.shutdown()

    return instrumented_provider_factory


def _metrics(runtime: ProviderRuntime) -> Any:
    async def instrumented_provider_factory(
        self: Any, request: pytest.FixtureRequest
    ) -> AsyncIterator[Any]:
        reader = InMemoryMetricReader()
        meter_provider = MeterProvider(metric_readers=[reader])
        provider = await instantiate(
            runtime.factory,
            **factory_options(runtime.options),
            meter_provider=meter_provider,
            **_failure(_param(request)),
        )
        try:
            yield provider, lambda: metric_points(reader)
        finally:
            await close_quietly(provider)
            meter_provider.shutdown()

    return instrumented_provider_factory


def _logging(runtime: ProviderRuntime) -> Any:
    async def instrumented_provider_factory(
        self: Any, request: pytest.FixtureRequest
    ) -> AsyncIterator[Any]:
        param = _param(request)
        stream = io.StringIO()
        tenant = param.get("tenant_id")
        extra = {} if tenant is None else {"tenant_id": tenant}
        provider = await instantiate(
            runtime.factory, **factory_options(runtime.options), log_stream=stream, **extra
        )
        try:
            yield (provider, stream) if tenant is None else (provider, stream, tenant)
        finally:
            await close_quietly(provider)

    return instrumented_provider_factory


_BUILDERS = {"tracing": _tracing, "metrics": _metrics, "logging": _logging}


def _expectation(runtime: ProviderRuntime, name: str) -> Any:
    def fixture(self: Any) -> Any:
        return runtime.options[name]  # resolved when the test runs, like every option

    fixture.__name__ = name
    return pytest.fixture(name=name)(fixture)


def build_fixtures(runtime: ProviderRuntime) -> dict[str, Any]:
    """``instrumented_provider_factory`` plus the expectation fixtures the options set."""
    contract = runtime.contract.name
    if contract not in _BUILDERS:
        raise LookupError(f"omnicloud.adapters.observability cannot serve contract {contract!r}")
    fixture = _BUILDERS[contract](runtime)
    fixture.__name__ = "instrumented_provider_factory"
    fixtures: dict[str, Any] = {
        "instrumented_provider_factory": pytest.fixture(name="instrumented_provider_factory")(
            fixture
        )
    }
    for key in EXPECTATION_KEYS:
        if key in runtime.raw_options:
            fixtures[key] = _expectation(runtime, key)
    return fixtures
