"""Tracing contract (OpenTelemetry).

Fixture ``instrumented_provider_factory`` — its *value* is the tuple
``(provider, get_finished_spans)`` (implement it as a generator fixture):

* ``await provider.some_operation()`` opens a span that is a child of the CURRENT context, with
  a non-empty name and the attributes your ``expected_attributes`` fixture lists, ends it, and
  restores the caller's context. When the fixture is parametrized with ``{"should_fail": True}``
  (``request.param``) the operation raises ``ValueError`` and sets the span status to ``ERROR``
  with a non-empty description;
* ``get_finished_spans()`` (sync) returns the SDK ``ReadableSpan`` objects finished since its
  previous call (e.g. an ``InMemorySpanExporter`` behind a ``SimpleSpanProcessor``).

Fixture ``expected_attributes``: override it to return the span attributes your provider sets;
left empty, ``test_span_has_expected_attributes`` fails saying so instead of passing vacuously.

The failure tests parametrize ``instrumented_provider_factory`` indirectly with
``{"should_fail": True}`` themselves, so a fixture that reads ``request.param`` needs no test
override (an upstream-style override with the same parametrization keeps working).

Global state: parent spans come from a private SDK tracer provider, never the global one (see
``tck_py.observability._support``); results do not depend on test order. Timing: none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from tck_py.observability._support import parent_span

TRACER_NAME = "tck.tracer"

TracingFixture = tuple[Any, Callable[[], Any]]

_SHOULD_FAIL = pytest.mark.parametrize(
    "instrumented_provider_factory", [{"should_fail": True}], indirect=True, ids=["should_fail"]
)


async def _run_in_parent(provider: Any, *, expect_failure: bool = False) -> trace.Span:
    with parent_span(TRACER_NAME, "tck-parent-span") as parent:
        if expect_failure:
            with pytest.raises(ValueError):
                await provider.some_operation()
        else:
            await provider.some_operation()
    return parent


def _first_span(get_finished_spans: Callable[[], Any]) -> Any:
    spans = list(get_finished_spans())
    assert spans, "some_operation() finished no span (is the span ended? is the exporter wired?)"
    return spans[0]


@pytest.mark.asyncio
class BaseTestTracingContract:
    """The tracing contract. Subclass it and override ``instrumented_provider_factory``."""

    @pytest.fixture
    def instrumented_provider_factory(self) -> TracingFixture:
        raise NotImplementedError(
            "override the 'instrumented_provider_factory' fixture in your test class: its value"
            " must be the tuple (provider, get_finished_spans); read request.param"
            " ({'should_fail': True}) to make some_operation() fail"
        )

    @pytest.fixture
    def expected_attributes(self) -> dict[str, Any]:
        return {}

    # -- upstream tck_py 0.1 tests -------------------------------------------------------------

    async def test_operation_creates_child_span(
        self, instrumented_provider_factory: TracingFixture
    ) -> None:
        provider, get_finished_spans = instrumented_provider_factory
        parent = await _run_in_parent(provider)
        span = _first_span(get_finished_spans)
        assert span.parent is not None, "the operation's span has no parent"
        assert span.parent.span_id == parent.get_span_context().span_id
        assert span.name

    async def test_span_has_expected_attributes(
        self, instrumented_provider_factory: TracingFixture, expected_attributes: dict[str, Any]
    ) -> None:
        if not expected_attributes:
            pytest.fail(
                "test_span_has_expected_attributes has nothing to check: override the"
                " 'expected_attributes' fixture in your test class to return the span attributes"
                " your provider sets, e.g. {'my.provider.system': 'redis'}"
            )
        provider, get_finished_spans = instrumented_provider_factory
        await _run_in_parent(provider)
        attributes = dict(_first_span(get_finished_spans).attributes or {})
        missing = {k: v for k, v in expected_attributes.items() if attributes.get(k) != v}
        assert not missing, f"span attributes {attributes} lack {missing}"

    @_SHOULD_FAIL
    async def test_failed_operation_sets_span_status_to_error(
        self, instrumented_provider_factory: TracingFixture
    ) -> None:
        provider, get_finished_spans = instrumented_provider_factory
        await _run_in_parent(provider, expect_failure=True)
        span = _first_span(get_finished_spans)
        assert span.status.status_code == StatusCode.ERROR
        assert span.status.description

    # -- stricter guarantees ---------------------------------------------------------------------

    async def test_child_span_shares_the_parent_trace_id(
        self, instrumented_provider_factory: TracingFixture
    ) -> None:
        provider, get_finished_spans = instrumented_provider_factory
        parent = await _run_in_parent(provider)
        span = _first_span(get_finished_spans)
        assert span.context.trace_id == parent.get_span_context().trace_id

    async def test_successful_operation_is_not_marked_as_error(
        self, instrumented_provider_factory: TracingFixture
    ) -> None:
        provider, get_finished_spans = instrumented_provider_factory
        await _run_in_parent(provider)
        assert _first_span(get_finished_spans).status.status_code != StatusCode.ERROR

    async def test_operation_restores_the_callers_context(
        self, instrumented_provider_factory: TracingFixture
    ) -> None:
        provider, _ = instrumented_provider_factory
        with parent_span(TRACER_NAME, "tck-parent-span") as parent:
            await provider.some_operation()
            assert trace.get_current_span() is parent

    @_SHOULD_FAIL
    async def test_failed_operation_ends_its_span_and_restores_context(
        self, instrumented_provider_factory: TracingFixture
    ) -> None:
        provider, get_finished_spans = instrumented_provider_factory
        with parent_span(TRACER_NAME, "tck-parent-span") as parent:
            with pytest.raises(ValueError):
                await provider.some_operation()
            assert trace.get_current_span() is parent
        assert _first_span(get_finished_spans).parent.span_id == parent.get_span_context().span_id

    async def test_each_call_creates_its_own_span(
        self, instrumented_provider_factory: TracingFixture
    ) -> None:
        provider, get_finished_spans = instrumented_provider_factory
        get_finished_spans()
        with parent_span(TRACER_NAME, "tck-parent-span"):
            await provider.some_operation()
            await provider.some_operation()
        spans = list(get_finished_spans())
        assert len({s.context.span_id for s in spans}) >= 2
