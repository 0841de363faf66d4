"""Why upstream tck-py 0.1's ``test_log_injects_trace_context`` is wrong and ours is right.

Upstream's test opens its parent span with the *global* tracer (``trace.get_tracer(
"tck.tracer")``) and compares the record's ``trace_id`` with that span's. While no SDK tracer
provider is installed globally (upstream's default order), the global tracer is a no-op: the
"parent" is the invalid span, trace id 0, and the expectation is 32 zeros. Upstream's own
reference fixture wrote exactly that constant (a span context captured at import time), so the
test compared zero with zero: it passes a provider that never reads the trace context, and it
fails the same fixture once a tracing test has installed an SDK provider (order-dependent).

Our suite opens the parent on a private SDK tracer provider (``tck_py.observability._support``):
the parent always has a real trace id, so a provider passes only by logging the span current at
log time. The reference fixture of upstream therefore fails our test every time, which is the
test doing its job (see docs/contracts/logging.md).
"""

from __future__ import annotations

import io
import json

from opentelemetry import trace

from omnicloud.providers.memory.observability import InstrumentedOperation
from tck_py.observability._support import parent_span
from tck_py.observability.logging import BaseTestStructuredLoggingContract

ZEROS = "0" * 32


class ConstantTraceId(InstrumentedOperation):
    """Upstream's reference fixture in provider form: the trace id is a constant of all zeros
    (the import-time span context of a no-op tracer), never the span current at log time."""

    def _trace_id(self) -> str:
        return ZEROS


def _logged_trace_id(stream: io.StringIO) -> str:
    return str(json.loads(stream.getvalue().splitlines()[-1])["trace_id"])


async def test_upstreams_expectation_is_all_zeros_without_a_global_sdk_provider() -> None:
    """Upstream's parent from a no-op tracer is the invalid span: its expectation is 0."""
    stream = io.StringIO()
    provider = ConstantTraceId(log_stream=stream)
    tracer = trace.NoOpTracerProvider().get_tracer("tck.tracer")  # upstream's default state
    with tracer.start_as_current_span("parent") as parent:
        await provider.some_operation_that_logs("inside a span")
    expected = f"{parent.get_span_context().trace_id:032x}"
    assert expected == ZEROS
    assert _logged_trace_id(stream) == expected, "upstream's assertion holds for a constant"


async def test_our_parent_always_has_a_real_trace_id() -> None:
    with parent_span("tck.tracer", "parent") as parent:
        assert parent.get_span_context().is_valid
        assert f"{parent.get_span_context().trace_id:032x}" != ZEROS


async def test_our_trace_test_fails_the_constant_and_passes_the_reference() -> None:
    suite = BaseTestStructuredLoggingContract()
    broken_stream, reference_stream = io.StringIO(), io.StringIO()
    broken = (ConstantTraceId(log_stream=broken_stream), broken_stream)
    try:
        await suite.test_log_injects_trace_context(broken)
    except AssertionError:
        pass
    else:
        raise AssertionError("a constant trace id passed test_log_injects_trace_context")
    reference = (InstrumentedOperation(log_stream=reference_stream), reference_stream)
    await suite.test_log_injects_trace_context(reference)
