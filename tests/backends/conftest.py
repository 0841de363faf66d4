"""Fixtures shared by the backend tests: the moto server of the AWS tests."""

from __future__ import annotations

import contextlib
import importlib.util
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnicloud.config import parse_config
from omnicloud.provision.base import STATE_DIR_ENV
from omnicloud.provision.lifecycle import provision

MOTO_CONFIG = """
[project]
default_environment = "local"
[services.moto]
recipe = "moto"
[environments.local]
provisioner = "process"
"""


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A moto_server started by the process provisioner (service kind ``moto``), one per
    session (per xdist worker) for every AWS test module; stopped, its files removed, at the
    end."""
    from service_guard import require, require_binary

    require_binary("moto_server", "moto[server] (pip)")
    require(
        importlib.util.find_spec("aiobotocore") is not None,
        "the 'aiobotocore' client",
        "pip install 'open-omni-cloud-tck[aws]'",
    )
    with tempfile.TemporaryDirectory(prefix="omnicloud-moto-backend-") as state:
        path = Path(state) / "omnicloud.toml"
        path.write_text(MOTO_CONFIG, encoding="utf-8")
        config = parse_config(MOTO_CONFIG, path, environ={})
        with contextlib.ExitStack() as stack:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv(STATE_DIR_ENV, state)
                env = stack.enter_context(provision(config))
            yield str(env.endpoints()["moto"]["url"])
