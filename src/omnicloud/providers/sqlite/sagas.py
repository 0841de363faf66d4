"""SQLite saga state repository with optimistic concurrency.

    [providers.sqlite-sagas]
    contract = "sagas"
    factory = "omnicloud.providers.sqlite.sagas:SQLiteSagaRepository"
    options = { path = ":memory:" }

One row per saga; ``history`` and ``payload`` are stored as JSON (so payload values must be JSON
types). An update is a single ``UPDATE ... WHERE saga_id = ? AND version = ?``: the database
decides which of several concurrent writers carrying one version wins, also across processes
sharing the file. A duplicate ``create_state`` is ignored (``ON CONFLICT DO NOTHING``); an update
of an unknown saga changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from omnicloud.providers.sqlite.database import SQLiteDatabase, transaction
from tck_py.shared.exceptions import SagaStateConflictError
from tck_py.shared.models import SagaState, SagaStepHistory

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS omnicloud_sagas ("
    " saga_id TEXT PRIMARY KEY, status TEXT NOT NULL, current_step INTEGER NOT NULL,"
    " history TEXT NOT NULL, payload TEXT NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID",
)


def _history(state: SagaState) -> str:
    return json.dumps([[h.step_name, h.status] for h in state.history])


def _state(row: tuple[Any, ...]) -> SagaState:
    saga_id, status, current_step, history, payload, version = row
    return SagaState(
        saga_id=saga_id,
        status=status,
        current_step=int(current_step),
        history=[SagaStepHistory(step_name=s, status=st) for s, st in json.loads(history)],
        payload=json.loads(payload),
        version=int(version),
    )


class SQLiteSagaRepository:
    """Saga states in a SQLite database."""

    def __init__(self, path: str = ":memory:") -> None:
        self._database = SQLiteDatabase.open(path)
        self._closed = False

    async def create_state(self, state: SagaState) -> None:
        await self._ready()
        row = (
            state.saga_id,
            state.status,
            state.current_step,
            _history(state),
            json.dumps(state.payload),
        )

        def create(connection: sqlite3.Connection) -> None:
            with transaction(connection):
                connection.execute(
                    "INSERT INTO omnicloud_sagas (saga_id, status, current_step, history, payload,"
                    " version) VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (saga_id) DO NOTHING",
                    row,
                )

        await self._database.run(create)

    async def get_state(self, saga_id: str) -> SagaState | None:
        await self._ready()

        def read(connection: sqlite3.Connection) -> SagaState | None:
            row = connection.execute(
                "SELECT saga_id, status, current_step, history, payload, version"
                " FROM omnicloud_sagas WHERE saga_id = ?",
                (saga_id,),
            ).fetchone()
            return None if row is None else _state(row)

        return await self._database.run(read)

    async def update_state(self, state: SagaState) -> None:
        await self._ready()
        values = (
            state.status,
            state.current_step,
            _history(state),
            json.dumps(state.payload),
            state.saga_id,
            state.version,
        )

        def update(connection: sqlite3.Connection) -> int | None:
            with transaction(connection):
                changed = connection.execute(
                    "UPDATE omnicloud_sagas SET status = ?, current_step = ?, history = ?,"
                    " payload = ?, version = version + 1 WHERE saga_id = ? AND version = ?",
                    values,
                ).rowcount
                if changed:
                    return None
                row = connection.execute(
                    "SELECT version FROM omnicloud_sagas WHERE saga_id = ?", (state.saga_id,)
                ).fetchone()
                return None if row is None else int(row[0])

        stored_version = await self._database.run(update)
        if stored_version is not None:
            raise SagaStateConflictError(
                f"saga {state.saga_id!r} is at version {stored_version}, the update carries"
                f" version {state.version}"
            )

    async def close(self) -> None:
        """Release the database connection (the last store on a database closes it)."""
        if not self._closed:
            self._closed = True
            await self._database.release()

    async def _ready(self) -> None:
        if self._closed:
            raise RuntimeError("this SQLiteSagaRepository is closed")
        await self._database.ensure_schema("sagas", SCHEMA)
