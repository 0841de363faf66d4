"""Test configuration shared by every test folder.

Helpers live in importable modules next to this file (``tests`` is on ``sys.path`` through the
``pythonpath`` pytest option): ``service_guard`` holds ``require`` and ``require_binary``.
"""

from collections.abc import Generator

import pytest
from hypothesis import HealthCheck, settings

import service_guard

# No per-example deadline and no "too slow" health check in this repository's own property
# tests: on a loaded 2-core CI runner both are timing assertions that fail for reasons outside
# the code under test.
settings.register_profile(
    "omnicloud-tests", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("omnicloud-tests")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    """Let ``service_guard.require`` see which test (fixtures included) reaches a service, so an
    unmarked one fails instead of silently skipping in CI."""
    with service_guard.running(item):
        return (yield)
