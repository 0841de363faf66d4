"""Every deliberately broken resilience provider is caught; every reference provider passes.

Each ``Mutant*`` class below is a reference provider with ONE realistic bug that the contract
forbids. All of them run, with the references, in one in-process pytest run over a generated
module (a class per provider, wired through the real adapters); a mutant's remaining tests are
skipped once one test has caught it, which keeps the run short.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import mutant_harness
import pytest
from mutant_harness import collect_mutants

from omnicloud.providers.memory.breaker import InMemoryCircuitBreaker
from omnicloud.providers.memory.lock import InMemoryLock, InMemoryLockManager
from omnicloud.providers.memory.outbox import PENDING, InMemoryOutbox
from omnicloud.providers.memory.sagas import InMemorySagaRepository
from omnicloud.providers.sqlite.outbox import SQLiteOutbox
from omnicloud.providers.sqlite.sagas import SQLiteSagaRepository
from tck_py.shared.exceptions import SagaStateConflictError
from tck_py.shared.models import CircuitState, OutboxEvent, SagaState

# -- outbox -------------------------------------------------------------------------------------


class MutantOutboxIgnoresLimit(InMemoryOutbox):
    async def get_pending_unordered_events(self, limit: int = 100) -> list[dict[str, Any]]:
        return await super().get_pending_unordered_events(limit=10_000)


class MutantOutboxRacySequence(InMemoryOutbox):
    """Reads the counter, awaits (a round trip), then writes: concurrent saves share an id."""

    async def save_event(self, event: OutboxEvent) -> None:
        sequence_id = None
        if event.aggregate_key is not None:
            sequence_id = self._last_sequence.get(event.aggregate_key, 0) + 1
            await asyncio.sleep(0)
            self._last_sequence[event.aggregate_key] = sequence_id
        self._insert(event, sequence_id)


class MutantOutboxProcessedAggregateStillPending(InMemoryOutbox):
    async def get_pending_aggregate_keys(self) -> list[str]:
        return sorted({r["aggregate_key"] for r in self._records.values() if r["aggregate_key"]})


class MutantOutboxSequenceFromPendingCount(InMemoryOutbox):
    """Numbers events by counting pending ones: numbers restart once events are processed."""

    async def save_event(self, event: OutboxEvent) -> None:
        if event.aggregate_key is not None:
            pending = [
                r
                for r in self._records.values()
                if r["aggregate_key"] == event.aggregate_key and r["status"] == PENDING
            ]
            self._last_sequence[event.aggregate_key] = len(pending)
        await super().save_event(event)


class MutantOutboxOneCounterForAllAggregates(InMemoryOutbox):
    async def save_event(self, event: OutboxEvent) -> None:
        if event.aggregate_key is not None:
            shared = max(self._last_sequence.values(), default=0)
            self._last_sequence[event.aggregate_key] = shared
        await super().save_event(event)


class MutantOutboxMarksWholeAggregate(InMemoryOutbox):
    async def mark_as_processed(self, event: dict[str, Any]) -> None:
        await super().mark_as_processed(event)
        for record in self._records.values():
            if event["aggregate_key"] and record["aggregate_key"] == event["aggregate_key"]:
                record["status"] = "PROCESSED"


class MutantOutboxUnorderedIncludesAggregates(InMemoryOutbox):
    async def get_pending_unordered_events(self, limit: int = 100) -> list[dict[str, Any]]:
        return [dict(r) for r in self._pending()][:limit]


class MutantOutboxDuplicateAggregateKeys(InMemoryOutbox):
    async def get_pending_aggregate_keys(self) -> list[str]:
        return [r["aggregate_key"] for r in self._pending() if r["aggregate_key"] is not None]


# -- sagas --------------------------------------------------------------------------------------


class MutantSagaDuplicateCreateClobbers(InMemorySagaRepository):
    async def create_state(self, state: SagaState) -> None:
        self._states.pop(state.saga_id, None)
        await super().create_state(state)


class MutantSagaUpdateWithoutVersionCheck(InMemorySagaRepository):
    async def update_state(self, state: SagaState) -> None:
        stored = self._states.get(state.saga_id)
        if stored is not None:
            await super().update_state(state._replace(version=stored.version))


class MutantSagaCheckThenAwaitThenWrite(InMemorySagaRepository):
    """Compares versions, then awaits before writing: concurrent writers all win."""

    async def update_state(self, state: SagaState) -> None:
        stored = self._states.get(state.saga_id)
        if stored is None:
            return
        if stored.version != state.version:
            raise SagaStateConflictError("stale")
        await asyncio.sleep(0)
        self._states[state.saga_id] = state._replace(version=state.version + 1)


class MutantSagaGetReturnsLiveState(InMemorySagaRepository):
    async def get_state(self, saga_id: str) -> SagaState | None:
        return self._states.get(saga_id)


class MutantSagaCreateKeepsCallerVersion(InMemorySagaRepository):
    async def create_state(self, state: SagaState) -> None:
        if state.saga_id not in self._states:
            self._states[state.saga_id] = state._replace(version=max(state.version, 1))


class MutantSagaUpdateUpsertsUnknown(InMemorySagaRepository):
    async def update_state(self, state: SagaState) -> None:
        if state.saga_id not in self._states:
            self._states[state.saga_id] = state._replace(version=state.version + 1)
            return
        await super().update_state(state)


# -- distributed lock ---------------------------------------------------------------------------


class _NonOwnerReleaseLock(InMemoryLock):
    async def release(self) -> None:
        self._manager._holds.pop(self.name, None)


class MutantLockNonOwnerRelease(InMemoryLockManager):
    lock_class = _NonOwnerReleaseLock


class MutantLockNeverExpires(InMemoryLockManager):
    def try_acquire(self, name: str, owner: str, ttl: float) -> bool:
        return super().try_acquire(name, owner, ttl=10_000.0)


class _RacyLock(InMemoryLock):
    async def acquire(self) -> bool:
        held = self._manager._holds.get(self.name)
        if held is not None and held[1] > time.monotonic():
            return False
        await asyncio.sleep(0)  # the round trip between "GET" and "SET"
        self._manager._holds[self.name] = (self.owner_id, time.monotonic() + self.ttl)
        return True


class MutantLockRacyAcquire(InMemoryLockManager):
    lock_class = _RacyLock


class MutantLockIgnoresName(InMemoryLockManager):
    def try_acquire(self, name: str, owner: str, ttl: float) -> bool:
        return super().try_acquire("the-lock", owner, ttl)

    def release(self, name: str, owner: str) -> None:
        super().release("the-lock", owner)


class _StaleHolderLock(InMemoryLock):
    """Remembers that it acquired, and releases by name without checking the current owner."""

    held = False

    async def acquire(self) -> bool:
        self.held = await super().acquire()
        return self.held

    async def release(self) -> None:
        if self.held:
            self._manager._holds.pop(self.name, None)
            self.held = False


class MutantLockExpiredHolderReleasesNewOwner(InMemoryLockManager):
    lock_class = _StaleHolderLock


class MutantLockTtlReadAsMilliseconds(InMemoryLockManager):
    def try_acquire(self, name: str, owner: str, ttl: float) -> bool:
        return super().try_acquire(name, owner, ttl / 1000)


class _WaitingLock(InMemoryLock):
    """Waits for the lock instead of answering False."""

    async def acquire(self) -> bool:
        while not await super().acquire():
            await asyncio.sleep(0.05)
        return True


class MutantLockBlockingAcquire(InMemoryLockManager):
    lock_class = _WaitingLock


class _StrictReleaseLock(InMemoryLock):
    async def release(self) -> None:
        if self._manager._holds.get(self.name, ("", 0.0))[0] != self.owner_id:
            raise RuntimeError("lock not held")
        await super().release()


class MutantLockReleaseNotIdempotent(InMemoryLockManager):
    lock_class = _StrictReleaseLock


# -- circuit breaker ----------------------------------------------------------------------------


class MutantBreakerNeverHalfOpens(InMemoryCircuitBreaker):
    @property
    def state(self) -> CircuitState:
        return self._state


class MutantBreakerManyTrialCalls(InMemoryCircuitBreaker):
    def _admit(self) -> bool:
        trial = super()._admit()
        self._trial_running = False
        return trial


class MutantBreakerSuccessKeepsCount(InMemoryCircuitBreaker):
    def _record_success(self, trial: bool) -> None:
        if trial:
            super()._record_success(trial)


class MutantBreakerWrapsException(InMemoryCircuitBreaker):
    async def execute(self, operation: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().execute(operation, *args, **kwargs)
        except ValueError as exc:
            raise ValueError(f"operation failed: {exc}") from exc


class MutantBreakerReopenKeepsOldTimer(InMemoryCircuitBreaker):
    def _open(self) -> None:
        first_opening = self._opened_at == 0.0
        super()._open()
        if not first_opening:
            self._opened_at -= self.reset_timeout


class MutantBreakerHalfOpenSuccessKeepsCount(InMemoryCircuitBreaker):
    def _open(self) -> None:
        failures = self._failures
        super()._open()
        self._failures = failures

    def _record_success(self, trial: bool) -> None:
        failures = self._failures
        super()._record_success(trial)
        if trial:
            self._failures = failures


class MutantBreakerResetTimeoutReadAsMilliseconds(InMemoryCircuitBreaker):
    def __init__(self, failure_threshold: int = 5, reset_timeout: float = 30.0) -> None:
        super().__init__(failure_threshold, reset_timeout / 1000)


class MutantBreakerDropsArguments(InMemoryCircuitBreaker):
    async def execute(self, operation: Any, *args: Any, **kwargs: Any) -> Any:
        return await super().execute(operation)


class MutantBreakerCallsOperationWhenOpen(InMemoryCircuitBreaker):
    async def execute(self, operation: Any, *args: Any, **kwargs: Any) -> Any:
        if self.state is CircuitState.OPEN:
            await operation(*args, **kwargs)
        return await super().execute(operation, *args, **kwargs)


# -- the run (shared harness: mutant_harness.py) ---------------------------------------------

OPTIONS: dict[str, dict[str, Any]] = {}


REFERENCES: dict[str, tuple[str, Any]] = {
    "ReferenceMemoryOutbox": ("transactional_outbox", InMemoryOutbox),
    "ReferenceSQLiteOutbox": ("transactional_outbox", SQLiteOutbox),
    "ReferenceMemorySagas": ("sagas", InMemorySagaRepository),
    "ReferenceSQLiteSagas": ("sagas", SQLiteSagaRepository),
    "ReferenceMemoryLock": ("distributed_lock", InMemoryLockManager),
    "ReferenceMemoryBreaker": ("circuit_breaker", InMemoryCircuitBreaker),
}

_CONTRACT_BY_PREFIX = {
    "MutantOutbox": "transactional_outbox",
    "MutantSaga": "sagas",
    "MutantLock": "distributed_lock",
    "MutantBreaker": "circuit_breaker",
}

MUTANTS = collect_mutants(globals(), _CONTRACT_BY_PREFIX)


def generated_classes() -> dict[str, type]:
    return mutant_harness.generated_classes({**REFERENCES, **MUTANTS}, OPTIONS)


def test_every_broken_resilience_provider_is_caught(pytester: pytest.Pytester) -> None:
    assert len(MUTANTS) >= 25
    outcomes = mutant_harness.run_all(pytester, __name__)
    mutant_harness.check(outcomes, MUTANTS, REFERENCES)
    print(dict(mutant_harness.caught_by(outcomes, MUTANTS)))  # which tests catch, for the docs
    print(mutant_harness.slowest(12))
