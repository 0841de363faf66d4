"""An instrumented reference operation for the tracing, metrics and logging contracts.

    [providers.memory-tracing]
    contract = "tracing"
    factory = "omnicloud.providers.memory.observability:InstrumentedOperation"
    [providers.memory-tracing.options.expected_attributes]
    "omnicloud.provider" = "memory"
    "omnicloud.operation" = "execute"

It shows the instrumentation the contracts expect from any provider: a span that is a child of
the caller's current span with the provider's attributes and an ERROR status on failure; a calls
counter and a duration histogram; one JSON log line per call that carries the trace id of the
span current at log time and the tenant. The observability adapter passes ``tracer_provider``,
``meter_provider``, ``log_stream``, ``tenant_id`` and ``should_fail``
(see ``omnicloud.adapters.observability``).
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, TextIO

from opentelemetry import metrics, trace

CALLS_METRIC = "omnicloud.operation.calls"
DURATION_METRIC = "omnicloud.operation.duration"
SPAN_ATTRIBUTES = {"omnicloud.provider": "memory", "omnicloud.operation": "execute"}
WORK_SECONDS = 0.005


class InstrumentedOperation:
    """A unit of work, instrumented with OpenTelemetry tracing and metrics and JSON logging."""

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        log_stream: TextIO | None = None,
        tenant_id: str | None = None,
        should_fail: bool = False,
        operation: str = "execute",
    ) -> None:
        self._tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)
        meter = metrics.get_meter(__name__, meter_provider=meter_provider)
        self._calls = meter.create_counter(CALLS_METRIC, unit="1", description="operations run")
        self._duration = meter.create_histogram(
            DURATION_METRIC, unit="s", description="operation duration"
        )
        self._log_stream = log_stream
        self._tenant_id = tenant_id
        self._should_fail = should_fail
        self._operation = operation

    async def some_operation(self) -> None:
        started = time.perf_counter()
        status = "error"
        with self._span():
            try:
                await self._work()
                status = "success"
            finally:
                self._count(status)
                self._record_duration(time.perf_counter() - started, status)

    async def some_operation_that_logs(self, message: str, level: str = "INFO") -> None:
        await asyncio.sleep(0)
        if self._log_stream is None:
            raise RuntimeError("InstrumentedOperation was created without a log_stream")
        self._write(self._record(message, level))

    # The steps below are small on purpose: each is one instrumentation duty.

    def _span(self) -> AbstractContextManager[trace.Span]:
        return self._tracer.start_as_current_span(
            "InstrumentedOperation.some_operation",
            attributes=self._span_attributes(),
            record_exception=True,
            set_status_on_exception=True,
        )

    def _span_attributes(self) -> dict[str, str]:
        return {**SPAN_ATTRIBUTES, "omnicloud.operation": self._operation}

    async def _work(self) -> None:
        await asyncio.sleep(WORK_SECONDS)
        if self._should_fail:
            raise ValueError(f"operation {self._operation!r} failed (should_fail=True)")

    def _count(self, status: str) -> None:
        self._calls.add(1, {"operation": self._operation, "status": status})

    def _record_duration(self, seconds: float, status: str) -> None:
        self._duration.record(seconds, {"operation": self._operation})

    def _trace_id(self) -> str:
        return f"{trace.get_current_span().get_span_context().trace_id:032x}"

    def _record(self, message: str, level: str) -> dict[str, Any]:
        record: dict[str, Any] = {
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": level,
            "message": message,
            "trace_id": self._trace_id(),
        }
        if self._tenant_id is not None:
            record["tenant_id"] = self._tenant_id
        return record

    def _write(self, record: dict[str, Any]) -> None:
        assert self._log_stream is not None
        self._log_stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._log_stream.flush()
