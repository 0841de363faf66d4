"""Observability suites never pass vacuously, and their results do not depend on test order."""

from __future__ import annotations

import pytest

INI = (
    "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    "filterwarnings = error\n"
)

# Nested runs: no omnicloud plugin or cache; no xdist/benchmark, which misbehave when nested in
# an xdist worker (pytest-benchmark's warning becomes an error under filterwarnings=error).
NESTED = ("-p", "no:omnicloud", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:benchmark")

CERTIFY = """
import importlib
from omnicloud.adapters.runtime import ProviderRuntime
from omnicloud.contracts import CONTRACTS
from omnicloud.providers.memory.observability import InstrumentedOperation


def certified(contract, **options):
    spec = CONTRACTS[contract]
    module, _, name = spec.suite.partition(":")
    suite = getattr(importlib.import_module(module), name)
    runtime = ProviderRuntime("memory", spec, InstrumentedOperation, options)
    fixtures = importlib.import_module(spec.adapter).build_fixtures(runtime)
    return type("Certified", (suite,), fixtures)
"""


def _run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makeini(INI)
    pytester.makepyfile(test_unconfigured=CERTIFY + source)
    return pytester.runpytest_inprocess(*NESTED, *args)


def test_missing_expected_attributes_fails_naming_the_fixture(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        "TestTracing = certified('tracing')\n",
        "-k",
        "test_span_has_expected_attributes",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*override the 'expected_attributes' fixture*"])


def test_missing_metric_names_fail_every_metrics_test(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "TestMetrics = certified('metrics')\n")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 7
    assert "passed" not in outcomes
    assert "skipped" not in outcomes
    result.stdout.fnmatch_lines(["*override the 'expected_metric_names' fixture*"])


def test_partial_metric_names_say_which_key_is_missing(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        "TestMetrics = certified('metrics', expected_metric_names={'calls': 'x'})\n",
        "-k",
        "histogram_counts_every_call",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*(missing: duration)*"])


GLOBAL_TRACER_INSTALLER = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider


def test_installs_a_global_sdk_tracer_provider():
    trace.set_tracer_provider(TracerProvider())
    with trace.get_tracer("tck.tracer").start_as_current_span("real") as span:
        assert span.get_span_context().is_valid
"""


@pytest.mark.parametrize("order", ["tracer-first", "tracer-last"])
def test_logging_results_do_not_depend_on_the_global_tracer(
    pytester: pytest.Pytester, order: str
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_a_global=GLOBAL_TRACER_INSTALLER,
        test_b_logging=CERTIFY + "TestLogging = certified('logging')\n",
    )
    files = ["test_a_global.py", "test_b_logging.py"]
    if order == "tracer-last":
        files.reverse()
    result = pytester.runpytest_subprocess(*NESTED, *files)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, result.stdout.str()
    assert outcomes["passed"] >= 9
