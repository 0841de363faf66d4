"""Run our suites against many deliberately broken providers in one inner pytest session.

Each ``test_broken_<family>.py`` defines its reference providers and its mutants (classes whose
names start with a contract prefix such as ``MutantOutbox``), then calls ``run_all`` and
``check``: every mutant must fail at least one test, every reference provider must pass all.
"""

from __future__ import annotations

import importlib
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

import pytest

from omnicloud.adapters.runtime import ProviderRuntime
from omnicloud.contracts import CONTRACTS

Cases = dict[str, tuple[str, Any]]
Outcomes = dict[str, dict[str, list[str]]]

#: Seconds spent per generated class, for the docs (printed by the family tests).
SECONDS: defaultdict[str, float] = defaultdict(float)


def slowest(count: int = 12) -> list[tuple[str, float]]:
    """The generated classes that took longest, with their seconds."""
    return sorted(SECONDS.items(), key=lambda item: -item[1])[:count]


def collect_mutants(namespace: Mapping[str, Any], prefixes: Mapping[str, str]) -> Cases:
    """``{name: (contract, class)}`` for every class named with one of the ``prefixes``."""
    return {
        name: (contract, obj)
        for name, obj in dict(namespace).items()
        for prefix, contract in prefixes.items()
        if name.startswith(prefix) and isinstance(obj, type)
    }


def certified(contract: str, factory: Any, options: Mapping[str, Any]) -> type:
    """The contract's suite with the fixtures its adapter builds for ``factory``."""
    spec = CONTRACTS[contract]
    module, _, name = spec.suite.partition(":")
    suite = getattr(importlib.import_module(module), name)
    runtime = ProviderRuntime(factory.__name__, spec, factory, options)
    fixtures = importlib.import_module(spec.adapter).build_fixtures(runtime)
    return type("Certified", (suite,), fixtures)


def generated_classes(cases: Cases, options: Mapping[str, Mapping[str, Any]]) -> dict[str, type]:
    """One test class per provider, named ``Test<case>``."""
    return {
        f"Test{name}": type(
            f"Test{name}", (certified(contract, factory, options.get(contract, {})),), {}
        )
        for name, (contract, factory) in cases.items()
    }


# The inner run is a plain pytest session: no omnicloud plugin, no cache, and none of the
# plugins that misbehave when nested in an xdist worker (pytest-benchmark warns, which the
# inherited filterwarnings=error turns into an internal error).
INNER_ARGS = (
    "-p",
    "no:omnicloud",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:xdist",
    "-p",
    "no:benchmark",
    "-q",
)

STOP_AFTER_FIRST_CATCH = """
import pytest

_CAUGHT = set()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed and item.cls.__name__.startswith("TestMutant"):
        _CAUGHT.add(item.cls.__name__)
    return report


# Tests that must wait (TTLs, reset timeouts, delays, state machines) run last in each class,
# cheapest first, so a broken provider is usually caught by a quick test.
_COST = (("fresh_count", 1), ("exactly_one_trial", 1), ("behaves_like", 1),
         ("never_delivered_early", 2), ("whole_ttl", 2), ("stays_open", 2), ("half_open", 3),
         ("restarts", 3), ("expire", 3), ("after_delay", 4), ("retains", 4))


def _cost(item):
    return next((cost for fragment, cost in _COST if fragment in item.name), 0)


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: (item.cls.__name__, _cost(item)))


def pytest_runtest_setup(item):
    if item.cls.__name__ in _CAUGHT:
        pytest.skip("this broken provider is already caught")
"""


def run_all(pytester: pytest.Pytester, module_name: str) -> Outcomes:
    """Run every provider's suite once; return ``{case: {"failed": [...], "passed": [...]}}``.

    The inner session imports the classes from ``module_name``'s ``generated_classes()``.
    """
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "filterwarnings = error\n"
    )
    pytester.makeconftest(STOP_AFTER_FIRST_CATCH)
    pytester.makepyfile(
        test_generated=(
            f"import sys\nglobals().update(sys.modules[{module_name!r}].generated_classes())\n"
        )
    )
    recorder = pytester.inline_run(*INNER_ARGS)
    assert recorder.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), recorder.ret
    outcomes: Outcomes = {}
    for report in recorder.getreports("pytest_runtest_logreport"):
        _, cls, test = report.nodeid.split("::")
        case = outcomes.setdefault(cls.removeprefix("Test"), {"failed": [], "passed": []})
        SECONDS[cls] += report.duration
        if report.failed:
            case["failed"].append(f"{test} ({report.when})")
        elif report.passed and report.when == "call":
            case["passed"].append(test)
    return outcomes


def check(outcomes: Outcomes, mutants: Mapping[str, Any], references: Mapping[str, Any]) -> None:
    uncaught = [m for m in mutants if not outcomes.get(m, {}).get("failed")]
    failing_references = {
        r: outcomes[r]["failed"] for r in references if r in outcomes and outcomes[r]["failed"]
    }
    empty_references = [r for r in references if not outcomes.get(r, {}).get("passed")]
    assert not uncaught, f"broken providers no test caught: {uncaught}"
    assert not failing_references, f"reference providers failed: {failing_references}"
    assert not empty_references, f"reference providers ran no test: {empty_references}"


def caught_by(outcomes: Outcomes, mutants: Mapping[str, Any]) -> Counter[str]:
    """Which tests do the catching (first failing test per mutant), for the docs."""
    return Counter(outcomes[m]["failed"][0].split(" ")[0] for m in mutants)
