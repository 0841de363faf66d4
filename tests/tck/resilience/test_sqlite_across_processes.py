"""The SQLite outbox and saga repository stay correct when several PROCESSES share one file.

The contract suites exercise concurrency inside one process (tasks on one connection thread);
here real OS processes write to the same database file at the same moment, so only SQLite's own
locking (``BEGIN IMMEDIATE``, ``busy_timeout``) can keep sequence ids gap-free and saga updates
exclusive. Each writer waits for a shared start time so that their writes overlap.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from omnicloud.providers.sqlite.outbox import SQLiteOutbox
from omnicloud.providers.sqlite.sagas import SQLiteSagaRepository
from tck_py.shared.models import SagaState

OUTBOX_WRITER = """
import asyncio, os, sys, time
from omnicloud.providers.sqlite.outbox import SQLiteOutbox
from tck_py.shared.models import OutboxEvent

def wait_for_the_others(barrier, who):
    # Ready once the state is read, then wait for the test's go: a late interpreter can
    # never read what an earlier writer already wrote.
    open(os.path.join(barrier, "ready-" + who), "w").close()
    while not os.path.exists(os.path.join(barrier, "go")):
        time.sleep(0.005)

async def main(path, who, barrier, count):
    store = SQLiteOutbox(path)
    await store.get_pending_aggregate_keys()  # schema ready before the race
    wait_for_the_others(barrier, who)
    for i in range(count):
        await store.save_event(OutboxEvent("orders", f"{who}-{i}".encode(), aggregate_key="shared"))
    await store.close()

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
"""

SAGA_WRITER = """
import asyncio, os, sys, time
from omnicloud.providers.sqlite.sagas import SQLiteSagaRepository
from tck_py.shared.exceptions import SagaStateConflictError

def wait_for_the_others(barrier, who):
    # Ready once the state is read, then wait for the test's go: a late interpreter can
    # never read what an earlier writer already wrote.
    open(os.path.join(barrier, "ready-" + who), "w").close()
    while not os.path.exists(os.path.join(barrier, "go")):
        time.sleep(0.005)

async def main(path, who, barrier):
    repo = SQLiteSagaRepository(path)
    current = await repo.get_state("saga-1")
    wait_for_the_others(barrier, who)
    try:
        await repo.update_state(current._replace(status=who))
    except SagaStateConflictError:
        sys.exit(3)
    finally:
        await repo.close()

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
"""


def _run_writers(script: str, args: list[list[str]]) -> list[int]:
    """Start the writers; once every one has read what it needs and is waiting, let them all
    go at once (a barrier, not a start time: a slow interpreter must not start late)."""
    barrier = Path(tempfile.mkdtemp(prefix="omnicloud-writers-"))
    processes = [
        subprocess.Popen([sys.executable, "-c", script, *a[:2], str(barrier), *a[2:]]) for a in args
    ]
    try:
        deadline = time.monotonic() + 60
        while len(list(barrier.glob("ready-*"))) < len(args):
            assert time.monotonic() < deadline, "the writers never all became ready"
            assert all(p.poll() is None for p in processes), "a writer died before the start"
            time.sleep(0.01)
        (barrier / "go").touch()
        return [p.wait(timeout=60) for p in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        shutil.rmtree(barrier, ignore_errors=True)


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
