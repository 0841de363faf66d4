"""What the ``test_*_interfaces.py`` files of the backends share (imported as ``backend_suites``).

A backend's test module starts its server with :func:`process_service`, defines an
``open_store`` fixture (``**options -> store``) and gets its suite classes from
:class:`StoreProvider` and :func:`suite_classes`; the broken variants go through
:func:`assert_suite_catches`. Only what differs between backends stays in their modules.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from omnicloud.config import parse_config
from omnicloud.provision.base import STATE_DIR_ENV
from omnicloud.provision.lifecycle import provision
from tck_py.interfaces._support import ProviderFactory
from tck_py.interfaces.catalog import INTERFACES

#: ``open_store(**options)``: a new store on the session's server.
Opener = Callable[..., Awaitable[Any]]
OnLoop = Callable[[Coroutine[Any, Any, Any]], Awaitable[Any]]

_CONFIG = """
[project]
default_environment = "local"
[services.{kind}]
recipe = "{kind}"
[environments.local]
provisioner = "process"
"""


@contextlib.contextmanager
def process_service(kind: str, *, open_state: bool = False) -> Iterator[dict[str, Any]]:
    """A service of ``kind`` started by the process provisioner in a private state directory:
    its endpoint. Stopped, its files removed, on exit. ``open_state`` lets other users reach
    the directory (PostgreSQL runs as an unprivileged user that must reach its data dir)."""
    config_text = _CONFIG.format(kind=kind)
    with tempfile.TemporaryDirectory(prefix=f"omnicloud-{kind}-backend-") as state:
        if open_state:
            Path(state).chmod(0o755)
        path = Path(state) / "omnicloud.toml"
        path.write_text(config_text, encoding="utf-8")
        config = parse_config(config_text, path, environ={})
        with contextlib.ExitStack() as stack:
            # the run's pid files and data live in this private state root; only the start
            # reads the variable (the stop acts on the recorded process and directory)
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv(STATE_DIR_ENV, state)
                env = stack.enter_context(provision(config))
            yield dict(env.endpoints()[kind])


@contextlib.asynccontextmanager
async def closing_factory(
    open_store: Opener, make: Callable[[Any], Any] | None = None
) -> AsyncIterator[ProviderFactory]:
    """A provider factory: each call opens a store (``make`` applied to it, as the broken
    variants swap its class). Every store opened is closed on the way out, newest first, also
    when the test body raises (a store left open leaks its sockets into a later teardown)."""
    created: list[Any] = []

    async def factory(**options: Any) -> Any:
        store = await open_store(**options)
        created.append(store)
        return store if make is None else make(store)

    try:
        yield factory
    finally:
        for store in reversed(created):
            await store.aclose()


class StoreProvider:
    """The ``provider_factory`` every claimed suite needs: fresh stores from the module's
    ``open_store`` fixture, closed after the test."""

    @pytest.fixture
    async def provider_factory(self, open_store: Opener) -> AsyncIterator[ProviderFactory]:
        async with closing_factory(open_store) as factory:
            yield factory


def suite_class(interface: str) -> type:
    """The catalog's suite class of ``interface``."""
    spec = INTERFACES[interface]
    suite: type = getattr(importlib.import_module(spec.suite_module), spec.suite_class)
    return suite


def suite_classes(backend: str, implements: Iterable[str], module: str) -> dict[str, type]:
    """One test class per claimed interface, e.g. ``TestRedisKeyValueScan(StoreProvider,
    BaseTestKeyValueScanInterface)``, by name, to put in the test module's globals."""
    classes: dict[str, type] = {}
    for interface in implements:
        base = suite_class(interface)
        name = f"Test{backend}" + base.__name__.removeprefix("BaseTest").removesuffix("Interface")
        classes[name] = type(name, (StoreProvider, base), {"__module__": module})
    return classes


async def assert_suite_catches(
    open_store: Opener, broken: type, interface: str, test_name: str
) -> None:
    """The suite test ``test_name`` of ``interface`` fails against stores whose class is
    swapped for ``broken`` after they opened (a one-bug variant of the real store)."""

    def swap(store: Any) -> Any:
        store.__class__ = broken
        return store

    async with closing_factory(open_store, swap) as factory:
        with pytest.raises((AssertionError, pytest.fail.Exception)):
            await getattr(suite_class(interface)(), test_name)(factory)


@contextlib.asynccontextmanager
async def namespaced_stores(open_store: Opener) -> AsyncIterator[list[Any]]:
    """Four stores: two private ones, then two opened with ``namespace="shared"``; all closed
    on the way out."""
    stores = [
        await open_store(),
        await open_store(),
        await open_store(namespace="shared"),
        await open_store(namespace="shared"),
    ]
    try:
        yield stores
    finally:
        for store in stores:
            await store.aclose()


async def check_key_isolation(first: Any, second: Any, named: Any, reopened: Any) -> None:
    """Keys of a private store are invisible to another private one; two stores of one
    namespace see each other's keys (the shared key is deleted again)."""
    await first.set("k", "first")
    await named.set("k", "named")
    assert await second.get("k") is None
    assert await second.scan_keys() == []
    assert await reopened.get("k") == "named"
    assert await first.get("k") == "first"
    await named.delete("k")


@contextlib.contextmanager
def foreign_loop() -> Iterator[OnLoop]:
    """An event loop running on a thread of its own: yields ``on_owner(coroutine)``, which
    runs a coroutine there and awaits its result from the caller's loop."""
    owner = asyncio.new_event_loop()
    thread = threading.Thread(target=owner.run_forever, daemon=True)
    thread.start()

    async def on_owner(coroutine: Coroutine[Any, Any, Any]) -> Any:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, owner))

    try:
        yield on_owner
    finally:
        owner.call_soon_threadsafe(owner.stop)
        thread.join(5)
        owner.close()
