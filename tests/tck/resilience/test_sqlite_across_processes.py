"""The SQLite outbox and saga repository stay correct when several PROCESSES share one file.

The contract suites exercise concurrency inside one process (tasks on one connection thread);
here real OS processes write to the same database file at the same moment, so only SQLite's own
locking (``BEGIN IMMEDIATE``, ``busy_timeout``) can keep sequence ids gap-free and saga updates
exclusive. Each writer waits for a shared start time so that their writes overlap.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from omnicloud.providers.sqlite.outbox import SQLiteOutbox
from omnicloud.providers.sqlite.sagas import SQLiteSagaRepository
from tck_py.shared.models import SagaState

OUTBOX_WRITER = """
import asyncio, sys, time
from omnicloud.providers.sqlite.outbox import SQLiteOutbox
from tck_py.shared.models import OutboxEvent

async def main(path, who, start, count):
    store = SQLiteOutbox(path)
    await store.get_pending_aggregate_keys()  # schema ready before the race
    time.sleep(max(0.0, start - time.time()))
    for i in range(count):
        await store.save_event(OutboxEvent("orders", f"{who}-{i}".encode(), aggregate_key="shared"))
    await store.close()

asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])))
"""

SAGA_WRITER = """
import asyncio, sys, time
from omnicloud.providers.sqlite.sagas import SQLiteSagaRepository
from tck_py.shared.exceptions import SagaStateConflictError

async def main(path, who, start):
    repo = SQLiteSagaRepository(path)
    current = await repo.get_state("saga-1")
    time.sleep(max(0.0, start - time.time()))
    try:
        await repo.update_state(current._replace(status=who))
    except SagaStateConflictError:
        sys.exit(3)
    finally:
        await repo.close()

asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
"""


def _run_writers(script: str, args: list[list[str]]) -> list[int]:
    start = str(time.time() + 1.5)  # every interpreter is up and waiting before the start
    processes = [
        subprocess.Popen([sys.executable, "-c", script, *a[:2], start, *a[2:]]) for a in args
    ]
    return [p.wait(timeout=60) for p in processes]


def test_outbox_sequence_ids_are_gap_free_across_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "outbox.db")
    codes = _run_writers(OUTBOX_WRITER, [[path, f"writer-{i}", "60"] for i in range(3)])
    assert codes == [0, 0, 0]

    async def read() -> list[int]:
        store = SQLiteOutbox(path)
        try:
            records = await store.get_pending_events_for_aggregate("shared")
        finally:
            await store.close()
        return [r["sequence_id"] for r in records]

    assert asyncio.run(read()) == list(range(1, 181))


def test_exactly_one_process_wins_a_saga_version(tmp_path: Path) -> None:
    path = str(tmp_path / "sagas.db")

    async def create() -> None:
        repo = SQLiteSagaRepository(path)
        await repo.create_state(SagaState("saga-1", "RUNNING", 0, [], {}, 0))
        await repo.close()

    asyncio.run(create())
    codes = _run_writers(SAGA_WRITER, [[path, f"writer-{i}"] for i in range(4)])
    assert sorted(codes) == [0, 3, 3, 3]

    async def read() -> tuple[str, int]:
        repo = SQLiteSagaRepository(path)
        state = await repo.get_state("saga-1")
        await repo.close()
        assert state is not None
        return state.status, state.version

    winner = f"writer-{codes.index(0)}"
    assert asyncio.run(read()) == (winner, 2)
