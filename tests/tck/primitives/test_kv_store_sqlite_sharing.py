"""The SQLite KV store shares one file correctly across processes, threads and event loops."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from omnicloud.providers.sqlite.kv import SQLiteKVStore

WRITER = """
import asyncio, sys
from omnicloud.providers.sqlite.kv import SQLiteKVStore

async def main(path, name):
    store = SQLiteKVStore(path, tenant_id="shared")
    await asyncio.gather(*(store.set(f"{name}-{i}", name) for i in range(200)))
    await store.close()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def _count(path: Path, names: list[str]) -> int:
    store = SQLiteKVStore(str(path), tenant_id="shared")
    try:
        values = [await store.get(f"{n}-{i}") for n in names for i in range(200)]
    finally:
        await store.close()
    return sum(v is not None for v in values)


def test_concurrent_writer_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "kv.sqlite3"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), name]) for name in ("a", "b")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    assert asyncio.run(_count(path, ["a", "b"])) == 400


def test_stores_on_one_file_in_different_event_loops_share_data(tmp_path: Path) -> None:
    path = str(tmp_path / "kv.sqlite3")
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        async def write() -> None:
            store = SQLiteKVStore(path, tenant_id="shared")
            await asyncio.gather(*(store.set(f"{name}-{i}", name) for i in range(200)))
            await store.close()

        try:
            asyncio.run(write())
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("x", "y")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert asyncio.run(_count(Path(path), ["x", "y"])) == 400


async def test_relative_path_is_resolved_when_the_store_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path)
    store = SQLiteKVStore("kv.sqlite3")
    monkeypatch.chdir(tmp_path / "elsewhere")  # before the first call opens the connection
    try:
        await store.set("key", "value")
    finally:
        await store.close()
    assert (tmp_path / "kv.sqlite3").is_file()
    assert not (tmp_path / "elsewhere" / "kv.sqlite3").exists()
