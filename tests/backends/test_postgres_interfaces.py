"""The PostgreSQL store certified by every interface suite it claims, against a real server.

One PostgreSQL server per test session (per xdist worker), started by the process provisioner;
every provider the suites create is a fresh ``PostgresStore`` with its own namespace in the
session's schema. The broken variants at the end prove the suites catch a PostgreSQL backend
with one realistic bug each.
"""

from __future__ import annotations

import contextlib
import importlib
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from omnicloud.config import parse_config
from omnicloud.providers.postgres import PostgresStore, create_store
from omnicloud.providers.postgres.store import IMPLEMENTS
from omnicloud.provision.base import STATE_DIR_ENV
from omnicloud.provision.lifecycle import provision
from service_guard import require_binary
from tck_py.interfaces._support import ProviderFactory
from tck_py.interfaces.catalog import INTERFACES

pytestmark = pytest.mark.services("postgres")

CONFIG = """
[project]
default_environment = "local"
[services.postgres]
recipe = "postgres"
[environments.local]
provisioner = "process"
"""


@pytest.fixture(scope="session")
def postgres_endpoint() -> Iterator[dict[str, Any]]:
    """A PostgreSQL server of this session (per xdist worker): its ``url`` and ``schema``."""
    require_binary("initdb", "postgresql")
    with tempfile.TemporaryDirectory(prefix="omnicloud-postgres-backend-") as state:
        # PostgreSQL runs as an unprivileged user that must reach its data dir in here
        Path(state).chmod(0o755)
        path = Path(state) / "omnicloud.toml"
        path.write_text(CONFIG, encoding="utf-8")
        config = parse_config(CONFIG, path, environ={})
        with contextlib.ExitStack() as stack:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv(STATE_DIR_ENV, state)
                env = stack.enter_context(provision(config))
            yield dict(env.endpoints()["postgres"])


async def _factory_for(
    endpoint: dict[str, Any], make: Callable[[PostgresStore], Any] | None = None
) -> AsyncIterator[ProviderFactory]:
    created: list[PostgresStore] = []

    async def factory(**options: Any) -> Any:
        schema = str(endpoint.get("schema") or "omnicloud_backend")
        store = await create_store(str(endpoint["url"]), schema=schema, **options)
        created.append(store)
        return store if make is None else make(store)

    yield factory
    for store in reversed(created):
        await store.aclose()


class PostgresProvider:
    """The ``provider_factory`` every claimed suite needs: fresh stores on the session's server."""

    @pytest.fixture
    async def provider_factory(
        self, postgres_endpoint: dict[str, Any]
    ) -> AsyncIterator[ProviderFactory]:
        async for factory in _factory_for(postgres_endpoint):
            yield factory


def _suite(interface: str) -> type:
    spec = INTERFACES[interface]
    suite: type = getattr(importlib.import_module(spec.suite_module), spec.suite_class)
    return suite


# One test class per claimed interface, e.g. TestPostgresQueueVisibility(PostgresProvider, suite).
for _interface in IMPLEMENTS:
    _base = _suite(_interface)
    _name = "TestPostgres" + _base.__name__.removeprefix("BaseTest").removesuffix("Interface")
    globals()[_name] = type(_name, (PostgresProvider, _base), {"__module__": __name__})
