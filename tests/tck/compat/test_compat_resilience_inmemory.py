"""Upstream-style resilience test classes (tck_py 0.1 conventions) pass our suites unchanged.

Wired the way the public ``tck_py`` 0.1 reference tests are (spec section 1.9): provider classes
guarded by ``asyncio.Lock`` objects created in ``__init__``, ``async def _factory(**config)``
closures returned by sync ``provider_factory`` / ``lock_manager_factory`` fixtures, a breaker
that serializes ``execute`` under its lock. The stricter tests (concurrency, state machines run
on a private event loop) need nothing more from these classes.
"""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from collections import defaultdict
from typing import Any

import pytest

from tck_py.resilience.circuit_breaker import BaseTestCircuitBreakerContract
from tck_py.resilience.distributed_lock import BaseTestDistributedLockContract
from tck_py.resilience.sagas import BaseTestSagaStateRepositoryContract
from tck_py.resilience.transactional_outbox import BaseTestOutboxStorageContract
from tck_py.shared.exceptions import CircuitOpenError, SagaStateConflictError
from tck_py.shared.models import CircuitState


class DictOutbox:
    def __init__(self) -> None:
        self._events: dict[str, dict[str, Any]] = {}
        self._counters: dict[str, int] = defaultdict(int)
        self._lock = asyncio.Lock()

    async def save_event(self, event):
        async with self._lock:
            sequence_id = None
            if event.aggregate_key:
                self._counters[event.aggregate_key] += 1
                sequence_id = self._counters[event.aggregate_key]
            event_id = str(uuid.uuid4())
            self._events[event_id] = {
                "event_id": event_id,
                "aggregate_key": event.aggregate_key,
                "destination_topic": event.destination_topic,
                "payload": event.payload,
                "message_key": event.message_key,
                "status": "PENDING",
                "sequence_id": sequence_id,
            }

    def _pending(self):
        return [e for e in self._events.values() if e["status"] == "PENDING"]

    async def get_pending_unordered_events(self, limit):
        return [dict(e) for e in self._pending() if e["aggregate_key"] is None][:limit]

    async def get_pending_events_for_aggregate(self, aggregate_key):
        events = [dict(e) for e in self._pending() if e["aggregate_key"] == aggregate_key]
        return sorted(events, key=lambda e: e["sequence_id"])

    async def get_pending_aggregate_keys(self):
        return sorted({e["aggregate_key"] for e in self._pending() if e["aggregate_key"]})

    async def mark_as_processed(self, event):
        if event["event_id"] in self._events:
            self._events[event["event_id"]]["status"] = "PROCESSED"


class DictSagaRepository:
    def __init__(self) -> None:
        self._states: dict[str, Any] = {}
        self._lock = asyncio.Lock()

    async def create_state(self, state):
        async with self._lock:
            if state.saga_id not in self._states:
                self._states[state.saga_id] = copy.deepcopy(state._replace(version=1))

    async def get_state(self, saga_id):
        return copy.deepcopy(self._states.get(saga_id))

    async def update_state(self, state):
        async with self._lock:
            current = self._states.get(state.saga_id)
            if current is None:
                return
            if current.version != state.version:
                raise SagaStateConflictError(f"expected {current.version}, got {state.version}")
            self._states[state.saga_id] = copy.deepcopy(state._replace(version=state.version + 1))


class DictLockManager:
    def __init__(self) -> None:
        self._locks: dict[str, tuple[str, float]] = {}
        self._lock = asyncio.Lock()

    def get_lock(self, lock_name, ttl):
        return DictLock(lock_name, ttl, self)


class DictLock:
    def __init__(self, name, ttl, manager) -> None:
        self._name, self._ttl, self._manager = name, ttl, manager
        self._owner = str(uuid.uuid4())

    async def acquire(self):
        async with self._manager._lock:
            held = self._manager._locks.get(self._name)
            if held and held[1] > time.monotonic():
                return False
            self._manager._locks[self._name] = (self._owner, time.monotonic() + self._ttl)
            return True

    async def release(self):
        async with self._manager._lock:
            held = self._manager._locks.get(self._name)
            if held and held[0] == self._owner:
                del self._manager._locks[self._name]

    async def __aenter__(self):
        return await self.acquire()

    async def __aexit__(self, *exc_info):
        await self.release()


class LockedCircuitBreaker:
    def __init__(self, failure_threshold, reset_timeout) -> None:
        self._threshold, self._timeout = failure_threshold, reset_timeout
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def state(self):
        if self._state == CircuitState.OPEN and time.monotonic() >= self._opened_at + self._timeout:
            self._state = CircuitState.HALF_OPEN
        return self._state

    async def execute(self, operation, *args, **kwargs):
        async with self._lock:
            if self.state == CircuitState.OPEN:
                raise CircuitOpenError("circuit is open")
            try:
                result = await operation(*args, **kwargs)
            except Exception:
                self._failures += 1
                if self._state == CircuitState.HALF_OPEN or self._failures >= self._threshold:
                    self._state, self._opened_at = CircuitState.OPEN, time.monotonic()
                raise
            self._state, self._failures = CircuitState.CLOSED, 0
            return result


class TestDictOutboxCompliance(BaseTestOutboxStorageContract):
    @pytest.fixture
    def provider_factory(self):
        async def _factory(**config):
            return DictOutbox()

        return _factory


class TestDictSagaCompliance(BaseTestSagaStateRepositoryContract):
    @pytest.fixture
    def provider_factory(self):
        async def _factory(**config):
            return DictSagaRepository()

        return _factory


class TestDictLockCompliance(BaseTestDistributedLockContract):
    @pytest.fixture
    def lock_manager_factory(self):
        async def _factory(**config):
            return DictLockManager()

        return _factory


class TestLockedCircuitBreakerCompliance(BaseTestCircuitBreakerContract):
    @pytest.fixture
    def provider_factory(self):
        async def _factory(failure_threshold: int, reset_timeout: float):
            return LockedCircuitBreaker(failure_threshold, reset_timeout)

        return _factory
