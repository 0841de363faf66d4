"""The guard for tests that need real services (imported as ``service_guard``).

Tests that need a real service (a server binary, a Docker engine) declare it with
``@pytest.mark.services("redis")`` and call ``require(...)``. Locally a missing service skips
with a reason that says how to enable it; in CI (``OMNICLOUD_REQUIRE_SERVICES=1``, set by
``.ci/run``) it fails, so a broken CI image can never pass by skipping.

A test that calls ``require`` without the ``services`` marker fails, available service or not:
unmarked, CI would not know the test needs the service. ``tests/conftest.py`` tells the guard
which test is running (``running``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import pytest

REQUIRE_SERVICES = os.environ.get("OMNICLOUD_REQUIRE_SERVICES") == "1"
MARKER = "services"
_RUNNING: ContextVar[pytest.Item | None] = ContextVar("running_test", default=None)


@contextmanager
def running(item: pytest.Item) -> Iterator[None]:
    """Within this block ``item`` is the test running (its fixtures included)."""
    token = _RUNNING.set(item)
    try:
        yield
    finally:
        _RUNNING.reset(token)


def check_marked(what: str) -> None:
    """Fail the running test if it needs ``what`` but lacks the ``services`` marker."""
    item = _RUNNING.get()
    if item is not None and item.get_closest_marker(MARKER) is None:
        pytest.fail(
            f"{item.nodeid} needs {what} but has no @pytest.mark.{MARKER}(...) marker;"
            " mark the test (or its module with pytestmark) so CI requires the service",
            pytrace=False,
        )


def require(available: bool, what: str, how: str) -> None:
    """Skip (locally) or fail (in CI) when ``what`` is not available."""
    check_marked(what)
    if available:
        return
    message = f"{what} is not available; {how}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (OMNICLOUD_REQUIRE_SERVICES=1 makes this a failure)")
    pytest.skip(f"{message} (or run in CI, where .ci/run installs it)")


def require_binary(name: str, package: str | None = None) -> str:
    """Return the path of a server binary such as ``redis-server``, or skip/fail."""
    path = shutil.which(name)
    require(
        path is not None,
        f"the '{name}' binary",
        f"install it with 'apt-get install {package or name}'",
    )
    assert path is not None
    return path
