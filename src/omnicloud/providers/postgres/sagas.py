"""PostgreSQL saga state repository (contract ``sagas``): a versioned row per saga.

``update_state`` is one ``UPDATE ... WHERE version = <read version>``: no row updated means
someone else updated first, which raises ``SagaStateConflictError``.
"""

from __future__ import annotations

import uuid
from typing import Any

from omnicloud.providers.postgres._base import DEFAULT_URL, PostgresProvider, connect
from omnicloud.providers.postgres._client import psycopg_module
from tck_py.shared.exceptions import SagaStateConflictError
from tck_py.shared.models import SagaState, SagaStepHistory

DDL = (
    "CREATE TABLE IF NOT EXISTS omnicloud_sagas (store text NOT NULL, saga_id text NOT NULL,"
    " status text NOT NULL, current_step integer NOT NULL, history jsonb NOT NULL,"
    " payload jsonb NOT NULL, version integer NOT NULL, PRIMARY KEY (store, saga_id))",
)


def _history(state: SagaState) -> list[list[str]]:
    return [[h.step_name, h.status] for h in state.history]


class PostgresSagaStateRepository(PostgresProvider):
    """Saga states with optimistic concurrency on ``version`` (created at version 1).

    Repositories with the same ``store`` share their sagas; the factory's default is a fresh
    store per instance, which is what the contract suite expects of each factory call.
    """

    def __init__(self, conn: Any, store: str) -> None:
        super().__init__(conn)
        self._store = store

    async def create_state(self, state: SagaState) -> None:
        jsonb = psycopg_module().types.json.Jsonb
        inserted = await self._execute(
            "INSERT INTO omnicloud_sagas VALUES (%s, %s, %s, %s, %s, %s, 1)"
            " ON CONFLICT (store, saga_id) DO NOTHING",
            (
                self._store,
                state.saga_id,
                state.status,
                state.current_step,
                jsonb(_history(state)),
                jsonb(state.payload),
            ),
        )
        if inserted != 1:
            raise SagaStateConflictError(f"saga {state.saga_id!r} already exists")

    async def get_state(self, saga_id: str) -> SagaState | None:
        row = await self._fetchone(
            "SELECT saga_id, status, current_step, history, payload, version"
            " FROM omnicloud_sagas WHERE store = %s AND saga_id = %s",
            (self._store, saga_id),
        )
        if row is None:
            return None
        history = [SagaStepHistory(*h) for h in row[3]]
        return SagaState(row[0], row[1], row[2], history, row[4], row[5])

    async def update_state(self, state: SagaState) -> None:
        jsonb = psycopg_module().types.json.Jsonb
        updated = await self._execute(
            "UPDATE omnicloud_sagas SET status = %s, current_step = %s, history = %s,"
            " payload = %s, version = version + 1"
            " WHERE store = %s AND saga_id = %s AND version = %s",
            (
                state.status,
                state.current_step,
                jsonb(_history(state)),
                jsonb(state.payload),
                self._store,
                state.saga_id,
                state.version,
            ),
        )
        if updated != 1:
            raise SagaStateConflictError(
                f"saga {state.saga_id!r} is not at version {state.version} (or does not exist)"
            )


async def create_saga_repository(
    url: str = DEFAULT_URL, schema: str = "public", store: str | None = None
) -> PostgresSagaStateRepository:
    """Factory for ``factory = "omnicloud.providers.postgres:create_saga_repository"``.

    Give ``store`` to share sagas between processes; by default each instance is a new store.
    """
    conn = await connect(url, schema, DDL)
    return PostgresSagaStateRepository(conn, store or uuid.uuid4().hex)
