"""Fixtures shared by the backend tests: the moto server of the AWS tests."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

# The shared helpers of the backend tests assert too: their failures show the compared values.
pytest.register_assert_rewrite("backend_docs", "backend_suites")


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A moto_server started by the process provisioner (service kind ``moto``), one per
    session (per xdist worker) for every AWS test module; stopped, its files removed, at the
    end."""
    from backend_suites import process_service

    from service_guard import require, require_binary

    require_binary("moto_server", "moto[server] (pip)")
    require(
        importlib.util.find_spec("aiobotocore") is not None,
        "the 'aiobotocore' client",
        "pip install 'open-omni-cloud-tck[aws]'",
    )
    with process_service("moto") as endpoint:
        yield str(endpoint["url"])
