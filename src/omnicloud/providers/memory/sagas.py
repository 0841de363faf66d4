"""In-memory saga state repository with optimistic concurrency.

    [providers.memory-sagas]
    contract = "sagas"
    factory = "omnicloud.providers.memory.sagas:InMemorySagaRepository"

``InMemorySagaRepository()`` starts empty and private; instances created with the same
``namespace=`` share one process-wide store. States are deep-copied on the way in and out, so
callers never share mutable payloads or histories with the store. ``create_state`` ignores an id
that already exists (it never replaces a saga); ``update_state`` compares versions and writes in
one step (no ``await`` in between)."""

from __future__ import annotations

import asyncio
import copy

from omnicloud.providers.memory import SharedStores
from tck_py.shared.exceptions import SagaStateConflictError
from tck_py.shared.models import SagaState

_STORES: SharedStores[dict[str, SagaState]] = SharedStores(dict)


class InMemorySagaRepository:
    """Saga states by id; every successful update increments the version by one."""

    def __init__(self, namespace: str | None = None) -> None:
        self._states = _STORES.get(namespace)

    async def create_state(self, state: SagaState) -> None:
        await asyncio.sleep(0)
        if state.saga_id not in self._states:
            self._states[state.saga_id] = copy.deepcopy(state._replace(version=1))

    async def get_state(self, saga_id: str) -> SagaState | None:
        await asyncio.sleep(0)
        stored = self._states.get(saga_id)
        return None if stored is None else copy.deepcopy(stored)

    async def update_state(self, state: SagaState) -> None:
        await asyncio.sleep(0)
        stored = self._states.get(state.saga_id)
        if stored is None:
            return
        if stored.version != state.version:
            raise SagaStateConflictError(
                f"saga {state.saga_id!r} is at version {stored.version}, the update carries"
                f" version {state.version}"
            )
        self._states[state.saga_id] = copy.deepcopy(state._replace(version=stored.version + 1))
