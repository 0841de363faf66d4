"""Metrics contract (OpenTelemetry data model).

Fixture ``instrumented_provider_factory`` — its *value* is the tuple
``(provider, get_metrics_data)`` (a generator fixture with a FRESH ``MeterProvider`` and reader
per test: the tests expect exact counts):

* ``await provider.some_operation()`` adds 1 to the calls counter with attributes
  ``{"operation": <expected_operation_name>, "status": "success"}`` and records its duration
  (strictly positive, seconds) in the duration histogram with attribute ``operation``. When the
  fixture is parametrized with ``{"should_fail": True}`` it raises ``ValueError``, counts the
  call with ``"status": "error"`` and still records the duration;
* ``get_metrics_data()`` (sync) returns ``{metric name: [data points]}``; counter points have
  ``.attributes`` and ``.value``, histogram points ``.attributes``, ``.count`` and ``.sum``
  (the OpenTelemetry SDK's ``InMemoryMetricReader`` shapes).

Fixtures ``expected_metric_names`` (``{"calls": <counter name>, "duration": <histogram name>}``)
and ``expected_operation_name`` (default ``"some.operation"``): override them. Upstream SKIPPED
every test while ``expected_metric_names`` was left empty; here they fail saying which fixture to
override. Global state: none is read. Timing: none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

MetricsFixture = tuple[Any, Callable[[], dict[str, list[Any]]]]

_SHOULD_FAIL = pytest.mark.parametrize(
    "instrumented_provider_factory", [{"should_fail": True}], indirect=True, ids=["should_fail"]
)


def _names(expected_metric_names: dict[str, str]) -> tuple[str, str]:
    missing = [k for k in ("calls", "duration") if not expected_metric_names.get(k)]
    if missing:
        pytest.fail(
            "the metrics tests have nothing to check: override the 'expected_metric_names'"
            " fixture in your test class to return {'calls': '<your counter name>',"
            " 'duration': '<your histogram name>'} (missing: " + ", ".join(missing) + ")"
        )
    return expected_metric_names["calls"], expected_metric_names["duration"]


def _points(get_metrics_data: Callable[[], dict[str, list[Any]]], name: str) -> list[Any]:
    data = get_metrics_data()
    assert name in data, f"no metric named {name!r} was recorded (got {sorted(data)})"
    return list(data[name])


def _matching(points: list[Any], **attributes: str) -> list[Any]:
    return [p for p in points if all(p.attributes.get(k) == v for k, v in attributes.items())]


@pytest.mark.asyncio
class BaseTestMetricsContract:
    """The metrics contract. Subclass it and override the three fixtures."""

    @pytest.fixture
    def instrumented_provider_factory(self) -> MetricsFixture:
        raise NotImplementedError(
            "override the 'instrumented_provider_factory' fixture in your test class: its value"
            " must be the tuple (provider, get_metrics_data); read request.param"
            " ({'should_fail': True}) to make some_operation() fail"
        )

    @pytest.fixture
    def expected_operation_name(self) -> str:
        return "some.operation"

    @pytest.fixture
    def expected_metric_names(self) -> dict[str, str]:
        return {}

    # -- upstream tck_py 0.1 tests -------------------------------------------------------------

    async def test_successful_operation_increments_counter(
        self,
        instrumented_provider_factory: MetricsFixture,
        expected_metric_names: dict[str, str],
        expected_operation_name: str,
    ) -> None:
        calls, _ = _names(expected_metric_names)
        provider, get_metrics_data = instrumented_provider_factory
        await provider.some_operation()
        points = _matching(
            _points(get_metrics_data, calls), operation=expected_operation_name, status="success"
        )
        assert [p.value for p in points] == [1]

    @_SHOULD_FAIL
    async def test_failed_operation_increments_counter_with_error_status(
        self,
        instrumented_provider_factory: MetricsFixture,
        expected_metric_names: dict[str, str],
        expected_operation_name: str,
    ) -> None:
        calls, _ = _names(expected_metric_names)
        provider, get_metrics_data = instrumented_provider_factory
        with pytest.raises(ValueError):
            await provider.some_operation()
        points = _matching(
            _points(get_metrics_data, calls), operation=expected_operation_name, status="error"
        )
        assert [p.value for p in points] == [1]

    async def test_operation_records_duration_in_histogram(
        self,
        instrumented_provider_factory: MetricsFixture,
        expected_metric_names: dict[str, str],
        expected_operation_name: str,
    ) -> None:
        _, duration = _names(expected_metric_names)
        provider, get_metrics_data = instrumented_provider_factory
        await provider.some_operation()
        points = _matching(_points(get_metrics_data, duration), operation=expected_operation_name)
        assert [p.count for p in points] == [1]
        assert points[0].sum > 0

    # -- stricter guarantees ---------------------------------------------------------------------

    async def test_counter_accumulates_across_calls(
        self,
        instrumented_provider_factory: MetricsFixture,
        expected_metric_names: dict[str, str],
        expected_operation_name: str,
    ) -> None:
        calls, _ = _names(expected_metric_names)
        provider, get_metrics_data = instrumented_provider_factory
        for _ in range(3):
            await provider.some_operation()
        points = _matching(
            _points(get_metrics_data, calls), operation=expected_operation_name, status="success"
        )
        assert [p.value for p in points] == [3]

    async def test_success_is_not_counted_as_error(
        self,
        instrumented_provider_factory: MetricsFixture,
        expected_metric_names: dict[str, str],
        expected_operation_name: str,
    ) -> None:
        calls, _ = _names(expected_metric_names)
        provider, get_metrics_data = instrumented_provider_factory
        await provider.some_operation()
        points = _matching(
            _points(get_metrics_data, calls), operation=expected_operation_name, status="error"
        )
        assert sum(p.value for p in points) == 0

    @_SHOULD_FAIL
    async def test_failed_operation_still_records_duration(
        self,
        instrumented_provider_factory: MetricsFixture,
        expected_metric_names: dict[str, str],
        expected_operation_name: str,
    ) -> None:
        _, duration = _names(expected_metric_names)
        provider, get_metrics_data = instrumented_provider_factory
        with pytest.raises(ValueError):
            await provider.some_operation()
        points = _matching(_points(get_metrics_data, duration), operation=expected_operation_name)
        assert [p.count for p in points] == [1]

    async def test_histogram_counts_every_call(
        self,
        instrumented_provider_factory: MetricsFixture,
        expected_metric_names: dict[str, str],
        expected_operation_name: str,
    ) -> None:
        _, duration = _names(expected_metric_names)
        provider, get_metrics_data = instrumented_provider_factory
        for _ in range(2):
            await provider.some_operation()
        points = _matching(_points(get_metrics_data, duration), operation=expected_operation_name)
        assert [p.count for p in points] == [2]
        assert points[0].sum > 0
