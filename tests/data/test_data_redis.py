"""Loading into a real Redis server (redis-server from the local binaries)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from datahelp import users

from omnicloud.data import generate, load_dataset
from service_guard import require_binary

pytestmark = pytest.mark.services("redis")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = require_binary("redis-server", "redis-server")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_load_into_redis_and_leave_nothing_pass_or_fail(redis_url: str) -> None:
    from omnicloud.providers.redis._base import connect
    from omnicloud.providers.redis.kv import create_kv_store

    store = await create_kv_store(redis_url)
    probe = await connect(redis_url)  # a second, independent client
    dataset = generate("users", users(count=50))
    try:
        async with load_dataset(store, dataset, namespace="t-redis") as loaded:
            assert await probe.dbsize() == 50
            assert await store.get(loaded.addresses[7]) is not None
        assert await probe.dbsize() == 0

        async def failing_test() -> None:
            async with load_dataset(store, dataset, namespace="t-redis"):
                assert await probe.dbsize() == 50
                raise AssertionError("the test fails while its data is loaded")

        with pytest.raises(AssertionError, match="while its data is loaded"):
            await failing_test()
        assert await probe.dbsize() == 0
    finally:
        await probe.aclose()
        await store.aclose()
