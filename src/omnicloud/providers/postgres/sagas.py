"""PostgreSQL saga state repository (contract ``sagas``): a versioned row per saga.

``update_state`` is one ``UPDATE ... WHERE version = <read version>``: no row updated means
someone else updated first, which raises ``SagaStateConflictError``.
"""

from __future__ import annotations

from typing import Any

from omnicloud.providers.postgres._base import DEFAULT_URL, PostgresProvider, connect
from omnicloud.providers.postgres._client import psycopg_module
from tck_py.shared.exceptions import SagaStateConflictError
from tck_py.shared.models import SagaState, SagaStepHistory

DDL = (
    "CREATE TABLE IF NOT EXISTS omnicloud_sagas (saga_id text PRIMARY KEY, status text NOT NULL,"
    " current_step integer NOT NULL, history jsonb NOT NULL, payload jsonb NOT NULL,"
    " version integer NOT NULL)",
)


def _history(state: SagaState) -> list[list[str]]:
    return [[h.step_name, h.status] for h in state.history]


class PostgresSagaStateRepository(PostgresProvider):
    """Saga states with optimistic concurrency on ``version`` (created at version 1)."""

    async def create_state(self, state: SagaState) -> None:
        jsonb = psycopg_module().types.json.Jsonb
        cur = await self._conn.execute(
            "INSERT INTO omnicloud_sagas VALUES (%s, %s, %s, %s, %s, 1)"
            " ON CONFLICT (saga_id) DO NOTHING",
            (
                state.saga_id,
                state.status,
                state.current_step,
                jsonb(_history(state)),
                jsonb(state.payload),
            ),
        )
        if cur.rowcount != 1:
            raise SagaStateConflictError(f"saga {state.saga_id!r} already exists")

    async def get_state(self, saga_id: str) -> SagaState | None:
        cur = await self._conn.execute(
            "SELECT saga_id, status, current_step, history, payload, version"
            " FROM omnicloud_sagas WHERE saga_id = %s",
            (saga_id,),
        )
        row: Any = await cur.fetchone()
        if row is None:
            return None
        return SagaState(
            row[0], row[1], row[2], [SagaStepHistory(*h) for h in row[3]], row[4], row[5]
        )

    async def update_state(self, state: SagaState) -> None:
        jsonb = psycopg_module().types.json.Jsonb
        cur = await self._conn.execute(
            "UPDATE omnicloud_sagas SET status = %s, current_step = %s, history = %s,"
            " payload = %s, version = version + 1 WHERE saga_id = %s AND version = %s",
            (
                state.status,
                state.current_step,
                jsonb(_history(state)),
                jsonb(state.payload),
                state.saga_id,
                state.version,
            ),
        )
        if cur.rowcount != 1:
            raise SagaStateConflictError(
                f"saga {state.saga_id!r} is not at version {state.version} (or does not exist)"
            )


async def create_saga_repository(
    url: str = DEFAULT_URL, schema: str = "public"
) -> PostgresSagaStateRepository:
    """Factory for ``factory = "omnicloud.providers.postgres:create_saga_repository"``."""
    return PostgresSagaStateRepository(await connect(url, schema, DDL))
