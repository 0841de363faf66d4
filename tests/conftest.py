"""Test configuration shared by every test folder.

Helpers live in importable modules next to this file (``tests`` is on ``sys.path`` through the
``pythonpath`` pytest option): ``service_guard`` holds ``require`` and ``require_binary``,
``children`` the ``spawn`` whose leftovers are killed when a test body ends.
"""

import gc
import signal
from collections.abc import Generator

import pytest
from _pytest.nodeid import NodeId
from hypothesis import HealthCheck, settings

import children
import service_guard
import suite_durations

# No per-example deadline and no "too slow" health check in this repository's own property
# tests: on a loaded 2-core CI runner both are timing assertions that fail for reasons outside
# the code under test.
settings.register_profile(
    "omnicloud-tests", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("omnicloud-tests")

# A shell starts a background job with SIGINT ignored, and every child inherits that: the
# Ctrl-C tests' subprocesses would then never see their SIGINT and time out (CI scripts often
# run the suite that way). A terminal never ignores it; restore what a terminal gives, so
# children start with Python's own KeyboardInterrupt handler.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep the collected modules out of every later garbage collection.

    Collection leaves each worker with a few hundred thousand long-lived objects (modules,
    classes, hypothesis strategies) that every full collection walked again: 3-5 s of CPU per
    worker over a run, 1-2 s once frozen (``gc.freeze``: they are still freed by reference
    counting, only the cycle collector skips them).
    """
    gc.collect()
    gc.freeze()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    """Let ``service_guard.require`` see which test (fixtures included) reaches a service, so an
    unmarked one fails instead of silently skipping in CI."""
    with service_guard.running(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None]:
    """Kill what the test body started with ``children.spawn`` and left running (a failed
    assertion before it stopped its child), so one failure never leaks into later tests."""
    try:
        return (yield)
    finally:
        children.reap()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make ``--dist loadgroup`` group again under pytest >= 9.2.

    xdist (3.8) groups a test by appending ``@<group>`` to its node id in the worker, through
    ``item._nodeid``; pytest 9.2 keeps the id in ``item._id`` and ignores that attribute, so
    every ``xdist_group`` test became a group of its own: a module fixture (a RabbitMQ node, a
    mutant run) ran once on every worker. Here the suffix xdist meant is set where pytest reads
    it, exactly as xdist spells it. The modules with the longest tests go first, too.
    """
    if not getattr(config.option, "loadgroup", False):  # set in xdist workers only
        return
    _longest_modules_first(items)
    for item in items:
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        suffix = "@" + "_".join(sorted(names))
        if names and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)


def _longest_modules_first(items: list[pytest.Item]) -> None:
    """Modules holding the longest tests (tests/durations.json) first, each kept whole and in
    order (module fixtures stay set up once per run of the module): xdist hands tests out in
    this order, so a long test no longer starts last and runs alone while the workers idle."""
    longest = suite_durations.module_order((item.nodeid for item in items), suite_durations.load())
    items.sort(key=lambda item: -longest[item.nodeid.split("::", 1)[0]])
