"""OpenTelemetry helpers shared by the observability suites (private).

The suites never read or change OpenTelemetry's *global* providers. Parent spans come from a
private SDK ``TracerProvider`` owned by this module, and are made current with
``trace.use_span``; a provider's own spans pick their parent up from the current context,
whichever tracer provider created them. So a parent always has a real (non-zero) trace id,
whether or not anything installed a global SDK provider, and no result depends on test order
(upstream's logging trace test passed or failed depending on whether a tracing test had run
first in the same process).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

_PARENT_PROVIDER = TracerProvider()


def parent_tracer(name: str) -> trace.Tracer:
    """A recording tracer that is independent of the global tracer provider."""
    return _PARENT_PROVIDER.get_tracer(name)


@contextlib.contextmanager
def parent_span(tracer_name: str, span_name: str) -> Iterator[trace.Span]:
    """Open a recording span and make it the current span for the block."""
    span = parent_tracer(tracer_name).start_span(span_name)
    try:
        with trace.use_span(span, end_on_exit=False):
            yield span
    finally:
        span.end()
