"""The guard for tests that need real services (imported as ``service_guard``).

Tests that need a real service (a server binary, a Docker engine) declare it with
``@pytest.mark.services("redis")`` and call ``require(...)``. Locally a missing service skips
with a reason that says how to enable it; in CI (``OMNICLOUD_REQUIRE_SERVICES=1``, set by
``.ci/run``) it fails, so a broken CI image can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_SERVICES = os.environ.get("OMNICLOUD_REQUIRE_SERVICES") == "1"


def require(available: bool, what: str, how: str) -> None:
    """Skip (locally) or fail (in CI) when ``what`` is not available."""
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
