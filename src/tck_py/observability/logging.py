"""Structured logging contract.

Fixture ``instrumented_provider_factory`` — its *value* is the tuple ``(provider, log_stream)``
(or ``(provider, log_stream, expected_tenant_id)`` when the fixture is parametrized with a
``{"tenant_id": ...}`` ``request.param``); ``log_stream`` is an ``io.StringIO`` that receives the
provider's log output.

``await provider.some_operation_that_logs(message)`` writes exactly one JSON object, on one line,
per call, with ``timestamp``, ``level``, ``message`` (the message, correctly escaped),
``trace_id`` (``f"{trace_id:032x}"`` of the span that is current AT LOG TIME) and, when the
fixture was given a tenant, ``tenant_id``.

Global state: the parent span of the trace test comes from a private SDK tracer provider, so it
always has a real trace id (see ``tck_py.observability._support``). Upstream's own reference
fixture took the trace id from a span created at import time instead of the current span; it
passed only while no global SDK tracer provider was installed and failed after a tracing test had
run. Here such a provider fails deterministically. Timing: none.
"""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest
from opentelemetry import trace

from tck_py.observability._support import parent_span

LoggingFixture = tuple[Any, ...]

TENANT_ID = f"tck-tenant-{uuid.uuid4()}"

_WITH_TENANT = pytest.mark.parametrize(
    "instrumented_provider_factory", [{"tenant_id": TENANT_ID}], indirect=True, ids=["tenant"]
)


def _records(log_stream: io.StringIO) -> list[dict[str, Any]]:
    lines = [line for line in log_stream.getvalue().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def _only_record(log_stream: io.StringIO) -> dict[str, Any]:
    output = log_stream.getvalue()
    assert output.strip(), "some_operation_that_logs() wrote nothing to the log stream"
    record = json.loads(output)
    assert isinstance(record, dict), f"the log record is not a JSON object: {output!r}"
    return record


@pytest.mark.asyncio
class BaseTestStructuredLoggingContract:
    """The structured logging contract. Subclass it and override the fixture."""

    @pytest.fixture
    def instrumented_provider_factory(self) -> LoggingFixture:
        raise NotImplementedError(
            "override the 'instrumented_provider_factory' fixture in your test class: its value"
            " must be the tuple (provider, log_stream); read request.param ({'tenant_id': ...})"
            " to give the provider a tenant and yield (provider, log_stream, tenant_id)"
        )

    # -- upstream tck_py 0.1 tests -------------------------------------------------------------

    async def test_log_is_valid_json(self, instrumented_provider_factory: LoggingFixture) -> None:
        provider, log_stream = instrumented_provider_factory[:2]
        await provider.some_operation_that_logs("a structured message")
        assert "timestamp" in _only_record(log_stream)

    async def test_log_contains_standard_fields(
        self, instrumented_provider_factory: LoggingFixture
    ) -> None:
        provider, log_stream = instrumented_provider_factory[:2]
        await provider.some_operation_that_logs("standard fields")
        record = _only_record(log_stream)
        assert {"timestamp", "level", "message"} <= record.keys()
        assert record["message"] == "standard fields"

    async def test_log_injects_trace_context(
        self, instrumented_provider_factory: LoggingFixture
    ) -> None:
        provider, log_stream = instrumented_provider_factory[:2]
        with parent_span("tck.tracer", "tck-logging-parent") as parent:
            await provider.some_operation_that_logs("inside a span")
        expected = f"{parent.get_span_context().trace_id:032x}"
        assert _only_record(log_stream).get("trace_id") == expected

    @_WITH_TENANT
    async def test_log_injects_tenant_context(
        self, instrumented_provider_factory: LoggingFixture
    ) -> None:
        provider, log_stream = instrumented_provider_factory[:2]
        expected = (
            instrumented_provider_factory[2]
            if len(instrumented_provider_factory) > 2
            else TENANT_ID
        )
        await provider.some_operation_that_logs("message with tenant")
        record = _only_record(log_stream)
        assert "tenant_id" in record
        assert record["tenant_id"] == expected

    # -- stricter guarantees ---------------------------------------------------------------------

    async def test_one_json_line_per_call(
        self, instrumented_provider_factory: LoggingFixture
    ) -> None:
        provider, log_stream = instrumented_provider_factory[:2]
        for i in range(3):
            await provider.some_operation_that_logs(f"line {i}")
        assert [r["message"] for r in _records(log_stream)] == ["line 0", "line 1", "line 2"]

    async def test_message_is_escaped(self, instrumented_provider_factory: LoggingFixture) -> None:
        provider, log_stream = instrumented_provider_factory[:2]
        message = 'quote " backslash \\ newline \n tab \t unicode \u2603'
        await provider.some_operation_that_logs(message)
        assert _only_record(log_stream)["message"] == message

    async def test_trace_id_follows_the_current_span(
        self, instrumented_provider_factory: LoggingFixture
    ) -> None:
        provider, log_stream = instrumented_provider_factory[:2]
        expected = []
        for name in ("first-parent", "second-parent"):
            with parent_span("tck.tracer", name) as parent:
                await provider.some_operation_that_logs(name)
            expected.append(f"{parent.get_span_context().trace_id:032x}")
        assert [r.get("trace_id") for r in _records(log_stream)] == expected

    async def test_log_outside_a_span_does_not_reuse_a_past_trace_id(
        self, instrumented_provider_factory: LoggingFixture
    ) -> None:
        provider, log_stream = instrumented_provider_factory[:2]
        with parent_span("tck.tracer", "finished-parent") as parent:
            await provider.some_operation_that_logs("inside")
        assert trace.get_current_span() is not parent
        await provider.some_operation_that_logs("outside")
        inside, outside = _records(log_stream)
        assert outside.get("trace_id") != inside.get("trace_id")
