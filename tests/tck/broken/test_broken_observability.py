"""Every deliberately broken observability provider is caught; the reference passes.

Each ``Mutant*`` class below is the reference instrumented operation with ONE realistic
instrumentation bug. All of them run, with the reference, in one in-process pytest run over a
generated module (a class per provider, wired through the real observability adapter); a
mutant's remaining tests are skipped once one test has caught it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import mutant_harness
import pytest
from mutant_harness import collect_mutants
from opentelemetry import context as otel_context
from opentelemetry import trace

from omnicloud.providers.memory import observability as reference
from omnicloud.providers.memory.observability import InstrumentedOperation

# -- tracing ------------------------------------------------------------------------------------


class MutantTracingStatusNotError(InstrumentedOperation):
    def _span(self) -> AbstractContextManager[trace.Span]:
        return self._tracer.start_as_current_span(
            "op", attributes=self._span_attributes(), set_status_on_exception=False
        )


class MutantTracingNewRootSpan(InstrumentedOperation):
    def _span(self) -> AbstractContextManager[trace.Span]:
        return self._tracer.start_as_current_span(
            "op", context=otel_context.Context(), attributes=self._span_attributes()
        )


class MutantTracingMissingAttributes(InstrumentedOperation):
    def _span_attributes(self) -> dict[str, str]:
        return {"omnicloud.provider": "memory"}


class MutantTracingErrorOnSuccess(InstrumentedOperation):
    @contextmanager
    def _span(self) -> Iterator[trace.Span]:
        with super()._span() as span:
            yield span
            span.set_status(trace.Status(trace.StatusCode.ERROR, "always"))


class MutantTracingLeaksContext(InstrumentedOperation):
    """Attaches its span to the context and never detaches it."""

    @contextmanager
    def _span(self) -> Iterator[trace.Span]:
        span = self._tracer.start_span("op", attributes=self._span_attributes())
        otel_context.attach(trace.set_span_in_context(span))
        try:
            yield span
        except Exception as exc:
            span.set_status(trace.Status(trace.StatusCode.ERROR, str(exc)))
            raise
        finally:
            span.end()


# -- metrics ------------------------------------------------------------------------------------


class MutantMetricsCountsFailureAsSuccess(InstrumentedOperation):
    def _count(self, status: str) -> None:
        super()._count("success")


class MutantMetricsDurationOnlyOnSuccess(InstrumentedOperation):
    def _record_duration(self, seconds: float, status: str) -> None:
        if status == "success":
            super()._record_duration(seconds, status)


class MutantMetricsWrongOperationAttribute(InstrumentedOperation):
    def _count(self, status: str) -> None:
        self._calls.add(1, {"op": self._operation, "status": status})


class MutantMetricsZeroDuration(InstrumentedOperation):
    def _record_duration(self, seconds: float, status: str) -> None:
        super()._record_duration(0.0, status)


class MutantMetricsCountsTwice(InstrumentedOperation):
    def _count(self, status: str) -> None:
        super()._count(status)
        super()._count(status)


class MutantMetricsCountsOnlyFirstCall(InstrumentedOperation):
    counted = False

    def _count(self, status: str) -> None:
        if not self.counted:
            self.counted = True
            super()._count(status)


# -- logging ------------------------------------------------------------------------------------


class MutantLoggingTraceIdCapturedAtCreation(InstrumentedOperation):
    """Upstream's reference bug: the trace id is taken once, not from the span at log time."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._creation_trace_id = super()._trace_id()

    def _trace_id(self) -> str:
        return self._creation_trace_id


class MutantLoggingHandWrittenJson(InstrumentedOperation):
    def _write(self, record: dict[str, Any]) -> None:
        assert self._log_stream is not None
        fields = ", ".join(f'"{k}": "{v}"' for k, v in record.items())
        self._log_stream.write("{" + fields + "}\n")


class MutantLoggingDropsTenant(InstrumentedOperation):
    def _record(self, message: str, level: str) -> dict[str, Any]:
        record = super()._record(message, level)
        record.pop("tenant_id", None)
        return record


class MutantLoggingTwoRecordsPerCall(InstrumentedOperation):
    def _write(self, record: dict[str, Any]) -> None:
        super()._write({**record, "level": "DEBUG", "message": "entering"})
        super()._write(record)


class MutantLoggingNoTimestamp(InstrumentedOperation):
    def _record(self, message: str, level: str) -> dict[str, Any]:
        record = super()._record(message, level)
        del record["timestamp"]
        return record


class MutantLoggingDecimalTraceId(InstrumentedOperation):
    def _trace_id(self) -> str:
        return str(trace.get_current_span().get_span_context().trace_id)


class MutantLoggingPrettyPrinted(InstrumentedOperation):
    def _write(self, record: dict[str, Any]) -> None:
        assert self._log_stream is not None
        self._log_stream.write(json.dumps(record, indent=2) + "\n")


# -- the run (shared harness: mutant_harness.py) ---------------------------------------------

OPTIONS: dict[str, dict[str, Any]] = {
    "tracing": {"expected_attributes": reference.SPAN_ATTRIBUTES},
    "metrics": {
        "expected_operation_name": "execute",
        "expected_metric_names": {
            "calls": reference.CALLS_METRIC,
            "duration": reference.DURATION_METRIC,
        },
    },
}


REFERENCES: dict[str, tuple[str, Any]] = {
    "ReferenceTracing": ("tracing", InstrumentedOperation),
    "ReferenceMetrics": ("metrics", InstrumentedOperation),
    "ReferenceLogging": ("logging", InstrumentedOperation),
}

_CONTRACT_BY_PREFIX = {
    "MutantTracing": "tracing",
    "MutantMetrics": "metrics",
    "MutantLogging": "logging",
}

MUTANTS = collect_mutants(globals(), _CONTRACT_BY_PREFIX)


def generated_classes() -> dict[str, type]:
    return mutant_harness.generated_classes({**REFERENCES, **MUTANTS}, OPTIONS)


def test_every_broken_observability_provider_is_caught(pytester: pytest.Pytester) -> None:
    assert len(MUTANTS) >= 15
    outcomes = mutant_harness.run_all(pytester, __name__)
    mutant_harness.check(outcomes, MUTANTS, REFERENCES)
    print(dict(mutant_harness.caught_by(outcomes, MUTANTS)))  # which tests catch, for the docs
    print(mutant_harness.slowest(12))
