"""Redis saga state repository (contract ``sagas``): optimistic concurrency in one Lua script."""

from __future__ import annotations

import json
import uuid
from typing import Any

from omnicloud.providers.redis._base import DEFAULT_URL, RedisProvider, connect
from tck_py.shared.exceptions import SagaStateConflictError
from tck_py.shared.models import SagaState, SagaStepHistory

# Writes the new state only when the stored version is the one the caller read.
_UPDATE = """
local current = redis.call('get', KEYS[1])
if not current then return -1 end
if cjson.decode(current)['version'] ~= tonumber(ARGV[1]) then return 0 end
redis.call('set', KEYS[1], ARGV[2])
return 1
"""


def _encode(state: SagaState, version: int) -> str:
    return json.dumps(
        {
            "saga_id": state.saga_id,
            "status": state.status,
            "current_step": state.current_step,
            "history": [[h.step_name, h.status] for h in state.history],
            "payload": state.payload,
            "version": version,
        }
    )


def _decode(text: str) -> SagaState:
    data = json.loads(text)
    return SagaState(
        data["saga_id"],
        data["status"],
        data["current_step"],
        [SagaStepHistory(*h) for h in data["history"]],
        data["payload"],
        data["version"],
    )


class RedisSagaStateRepository(RedisProvider):
    """Saga states as JSON documents; ``update_state`` fails on a stale version.

    Repositories with the same ``store`` share their sagas; the factory's default is a fresh
    store per instance, which is what the contract suite expects of each factory call.
    """

    kind = "saga"

    def __init__(self, client: Any, prefix: str = "", store: str = "") -> None:
        super().__init__(client, prefix, None)
        self._store = store

    def _key(self, key: str) -> str:
        return super()._key(f"{self._store}:{key}")

    async def create_state(self, state: SagaState) -> None:
        created = await self._client.set(self._key(state.saga_id), _encode(state, 1), nx=True)
        if not created:
            raise SagaStateConflictError(f"saga {state.saga_id!r} already exists")

    async def get_state(self, saga_id: str) -> SagaState | None:
        text = await self._client.get(self._key(saga_id))
        return None if text is None else _decode(text)

    async def update_state(self, state: SagaState) -> None:
        outcome = await self._client.eval(
            _UPDATE, 1, self._key(state.saga_id), state.version, _encode(state, state.version + 1)
        )
        if outcome != 1:
            reason = "does not exist" if outcome == -1 else f"is not at version {state.version}"
            raise SagaStateConflictError(f"saga {state.saga_id!r} {reason}")


async def create_saga_repository(
    url: str = DEFAULT_URL, prefix: str = "", store: str | None = None, **client_options: Any
) -> RedisSagaStateRepository:
    """Factory for ``factory = "omnicloud.providers.redis:create_saga_repository"``.

    Give ``store`` to share sagas between processes; by default each instance is a new store.
    """
    client = await connect(url, **client_options)
    return RedisSagaStateRepository(client, prefix, store or uuid.uuid4().hex)
