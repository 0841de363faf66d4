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
from datetime import datetime, timezone
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
        with self._tracer.start_as_current_span(
            "InstrumentedOperation.some_operation",
            attributes={**SPAN_ATTRIBUTES, "omnicloud.operation": self._operation},
            record_exception=True,
            set_status_on_exception=True,
        ):
            try:
                await asyncio.sleep(WORK_SECONDS)
                if self._should_fail:
                    raise ValueError(f"operation {self._operation!r} failed (should_fail=True)")
                status = "success"
            finally:
                attributes = {"operation": self._operation}
                self._calls.add(1, {**attributes, "status": status})
                self._duration.record(time.perf_counter() - started, attributes)

    async def some_operation_that_logs(self, message: str, level: str = "INFO") -> None:
        await asyncio.sleep(0)
        if self._log_stream is None:
            raise RuntimeError("InstrumentedOperation was created without a log_stream")
        self._log_stream.write(json.dumps(self._record(message, level), ensure_ascii=False) + "\n")
        self._log_stream.flush()

    def _record(self, message: str, level: str) -> dict[str, Any]:
        context = trace.get_current_span().get_span_context()
        record: dict[str, Any] = {
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "level": level,
            "message": message,
            "trace_id": f"{context.trace_id:032x}",
            "span_id": f"{context.span_id:016x}",
        }
        if self._tenant_id is not None:
            record["tenant_id"] = self._tenant_id
        return record
