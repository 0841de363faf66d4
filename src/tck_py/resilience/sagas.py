"""Saga state repository contract (optimistic concurrency).

Fixture ``provider_factory`` (sync) returns an async callable; ``await provider_factory()`` gives
a repository with async methods:

* ``create_state(state: SagaState)``: stores the saga with version 1, whatever version was
  passed; creating an id that already exists must not change the stored saga (it may raise);
* ``get_state(saga_id) -> SagaState | None``: a copy (mutating it never changes the store);
* ``update_state(state)``: raises ``SagaStateConflictError`` unless ``state.version`` equals the
  stored version; otherwise stores the passed fields with version + 1. Among concurrent updates
  carrying the same version exactly one wins. Updating an unknown saga never creates it.

Timing assumptions: none (no test sleeps). The stateful test runs a bounded, deterministic
hypothesis state machine (see ``tck_py.resilience._stateful``).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from tck_py.resilience._stateful import AsyncStateMachine, run_machine
from tck_py.shared.exceptions import SagaStateConflictError
from tck_py.shared.models import SagaState, SagaStepHistory

ProviderFactory = Callable[..., Awaitable[Any]]


def _new_saga(saga_id: str | None = None, version: int = 0) -> SagaState:
    return SagaState(
        saga_id=saga_id or f"tck-saga-{uuid.uuid4()}",
        status="RUNNING",
        current_step=0,
        history=[],
        payload={"initial": True},
        version=version,
    )


def _advanced(state: SagaState, step: str = "reserve-stock") -> SagaState:
    return state._replace(
        current_step=state.current_step + 1,
        history=[*state.history, SagaStepHistory(step_name=step, status="COMPLETED")],
    )


@pytest.mark.asyncio
class BaseTestSagaStateRepositoryContract:
    """The saga state repository contract. Subclass it and override ``provider_factory``."""

    @pytest.fixture
    def provider_factory(self) -> ProviderFactory:
        raise NotImplementedError(
            "override the 'provider_factory' fixture in your test class: it must return an async"
            " callable that creates your saga state repository"
        )

    # -- upstream tck_py 0.1 tests -------------------------------------------------------------

    async def test_create_and_get_saga_state(self, provider_factory: ProviderFactory) -> None:
        repo = await provider_factory()
        saga = _new_saga()
        await repo.create_state(saga)
        stored = await repo.get_state(saga.saga_id)
        assert stored is not None
        assert stored.saga_id == saga.saga_id
        assert stored.status == "RUNNING"
        assert stored.payload == {"initial": True}
        assert stored.version == 1

    async def test_get_non_existent_saga_returns_none(
        self, provider_factory: ProviderFactory
    ) -> None:
        repo = await provider_factory()
        assert await repo.get_state(f"tck-missing-{uuid.uuid4()}") is None

    async def test_update_saga_state_increments_version(
        self, provider_factory: ProviderFactory
    ) -> None:
        repo = await provider_factory()
        saga = _new_saga()
        await repo.create_state(saga)
        current = await repo.get_state(saga.saga_id)
        await repo.update_state(_advanced(current))
        updated = await repo.get_state(saga.saga_id)
        assert updated.version == 2
        assert updated.current_step == 1
        assert len(updated.history) == 1

    async def test_update_with_stale_version_raises_conflict_error(
        self, provider_factory: ProviderFactory
    ) -> None:
        repo = await provider_factory()
        saga = _new_saga()
        await repo.create_state(saga)
        reader_1 = await repo.get_state(saga.saga_id)
        reader_2 = await repo.get_state(saga.saga_id)
        await repo.update_state(_advanced(reader_1))
        with pytest.raises(SagaStateConflictError):
            await repo.update_state(reader_2._replace(status="COMPENSATING"))
        stored = await repo.get_state(saga.saga_id)
        assert stored.version == 2
        assert stored.status == "RUNNING"
        assert stored.current_step == 1

    # -- stricter guarantees ---------------------------------------------------------------------

    async def test_create_forces_version_one(self, provider_factory: ProviderFactory) -> None:
        repo = await provider_factory()
        saga = _new_saga(version=7)
        await repo.create_state(saga)
        assert (await repo.get_state(saga.saga_id)).version == 1

    async def test_duplicate_create_does_not_clobber_state(
        self, provider_factory: ProviderFactory
    ) -> None:
        repo = await provider_factory()
        saga = _new_saga()
        await repo.create_state(saga)
        await repo.update_state((await repo.get_state(saga.saga_id))._replace(status="COMPLETED"))
        # Raising on a duplicate is allowed; silently replacing the saga is not.
        with contextlib.suppress(Exception):
            await repo.create_state(saga._replace(payload={"clobbered": True}))
        stored = await repo.get_state(saga.saga_id)
        assert (stored.status, stored.version, stored.payload) == (
            "COMPLETED",
            2,
            {"initial": True},
        )

    async def test_update_stores_every_field(self, provider_factory: ProviderFactory) -> None:
        repo = await provider_factory()
        saga = _new_saga()
        await repo.create_state(saga)
        current = await repo.get_state(saga.saga_id)
        wanted = _advanced(current)._replace(status="COMPENSATING", payload={"order": "42"})
        await repo.update_state(wanted)
        stored = await repo.get_state(saga.saga_id)
        assert stored == wanted._replace(version=2)
        assert [tuple(h) for h in stored.history] == [("reserve-stock", "COMPLETED")]

    async def test_concurrent_updates_with_one_version_let_exactly_one_win(
        self, provider_factory: ProviderFactory
    ) -> None:
        repo = await provider_factory()
        saga = _new_saga()
        await repo.create_state(saga)
        current = await repo.get_state(saga.saga_id)
        attempts = [current._replace(status=f"WRITER-{i}") for i in range(8)]
        results = await asyncio.gather(
            *(repo.update_state(a) for a in attempts), return_exceptions=True
        )
        winners = [
            a.status
            for a, r in zip(attempts, results, strict=True)
            if not isinstance(r, BaseException)
        ]
        losers = [r for r in results if isinstance(r, BaseException)]
        assert len(winners) == 1, f"{len(winners)} concurrent updates with version 1 succeeded"
        assert all(isinstance(r, SagaStateConflictError) for r in losers), losers
        stored = await repo.get_state(saga.saga_id)
        assert (stored.status, stored.version) == (winners[0], 2)

    async def test_sequential_updates_keep_incrementing(
        self, provider_factory: ProviderFactory
    ) -> None:
        repo = await provider_factory()
        saga = _new_saga()
        await repo.create_state(saga)
        for step in range(3):
            current = await repo.get_state(saga.saga_id)
            await repo.update_state(_advanced(current, f"step-{step}"))
        stored = await repo.get_state(saga.saga_id)
        assert (stored.version, stored.current_step, len(stored.history)) == (4, 3, 3)

    async def test_stale_version_after_several_updates_conflicts(
        self, provider_factory: ProviderFactory
    ) -> None:
        repo = await provider_factory()
        saga = _new_saga()
        await repo.create_state(saga)
        stale = await repo.get_state(saga.saga_id)
        for _ in range(2):
            await repo.update_state(_advanced(await repo.get_state(saga.saga_id)))
        with pytest.raises(SagaStateConflictError):
            await repo.update_state(stale._replace(version=2))

    async def test_get_state_returns_a_copy(self, provider_factory: ProviderFactory) -> None:
        repo = await provider_factory()
        saga = _new_saga()
        await repo.create_state(saga._replace(history=[SagaStepHistory("start", "COMPLETED")]))
        first = await repo.get_state(saga.saga_id)
        first.payload["mutated"] = True
        first.history.append(SagaStepHistory("sneaky", "COMPLETED"))
        again = await repo.get_state(saga.saga_id)
        assert again.payload == {"initial": True}
        assert len(again.history) == 1

    async def test_update_of_unknown_saga_does_not_create_it(
        self, provider_factory: ProviderFactory
    ) -> None:
        repo = await provider_factory()
        ghost = _new_saga(version=1)
        with contextlib.suppress(Exception):
            await repo.update_state(ghost)
        assert await repo.get_state(ghost.saga_id) is None

    async def test_sagas_are_independent(self, provider_factory: ProviderFactory) -> None:
        repo = await provider_factory()
        first, second = _new_saga(), _new_saga()
        await repo.create_state(first)
        await repo.create_state(second)
        await repo.update_state((await repo.get_state(first.saga_id))._replace(status="DONE"))
        stored = await repo.get_state(second.saga_id)
        assert (stored.status, stored.version) == ("RUNNING", 1)

    async def test_behaves_like_a_model_repository(self, provider_factory: ProviderFactory) -> None:
        await run_machine(_saga_machine(provider_factory))


def _saga_machine(provider_factory: ProviderFactory) -> type[AsyncStateMachine]:
    ids = st.sampled_from(["saga-1", "saga-2", "saga-3"])
    statuses = st.sampled_from(["RUNNING", "COMPENSATING", "COMPLETED", "FAILED"])

    class SagaMachine(AsyncStateMachine):
        """Model: saga id -> (status, step, version)."""

        def __init__(self) -> None:
            super().__init__()
            self.repo = self.make_provider(provider_factory)
            self.model: dict[str, tuple[str, int, int]] = {}

        @rule(saga_id=ids)
        def create(self, saga_id: str) -> None:
            with contextlib.suppress(Exception):
                self.run(self.repo.create_state(_new_saga(saga_id)))
            self.model.setdefault(saga_id, ("RUNNING", 0, 1))

        @precondition(lambda self: bool(self.model))
        @rule(saga_id=ids, status=statuses)
        def update_current(self, saga_id: str, status: str) -> None:
            if saga_id not in self.model:
                return
            _, step, version = self.model[saga_id]
            current = self.run(self.repo.get_state(saga_id))
            self.run(self.repo.update_state(current._replace(status=status, current_step=step + 1)))
            self.model[saga_id] = (status, step + 1, version + 1)

        @precondition(lambda self: bool(self.model))
        @rule(saga_id=ids, behind=st.integers(1, 3))
        def update_stale(self, saga_id: str, behind: int) -> None:
            if saga_id not in self.model:
                return
            version = self.model[saga_id][2]
            stale = _new_saga(saga_id, version=version - behind)._replace(status="STALE")
            with pytest.raises(SagaStateConflictError):
                self.run(self.repo.update_state(stale))

        @rule(saga_id=ids)
        def read(self, saga_id: str) -> None:
            stored = self.run(self.repo.get_state(saga_id))
            if saga_id not in self.model:
                assert stored is None
                return
            assert (stored.status, stored.current_step, stored.version) == self.model[saga_id]

    return SagaMachine
