"""In-memory circuit breaker.

    [providers.memory-breaker]
    contract = "circuit_breaker"
    factory = "omnicloud.providers.memory.breaker:InMemoryCircuitBreaker"

CLOSED counts consecutive failures (a success resets the count) and opens at
``failure_threshold``. OPEN refuses calls with ``CircuitOpenError`` until ``reset_timeout`` has
passed, then reads HALF_OPEN (lazily, on the monotonic clock, no timer task). HALF_OPEN lets
exactly one trial call through and refuses the others while it runs: its success closes the
breaker with a fresh count, its failure re-opens it for another ``reset_timeout``. Failures are
re-raised unchanged; cancellation (``BaseException``) is not counted as a failure.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tck_py.shared.exceptions import CircuitOpenError
from tck_py.shared.models import CircuitState

T = TypeVar("T")


class InMemoryCircuitBreaker:
    """A breaker for one protected dependency."""

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, got {failure_threshold}")
        if reset_timeout < 0:
            raise ValueError(f"reset_timeout must be >= 0, got {reset_timeout}")
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False

    @property
    def state(self) -> CircuitState:
        if (
            self._state is CircuitState.OPEN
            and self._clock() >= self._opened_at + self.reset_timeout
        ):
            self._state = CircuitState.HALF_OPEN
        return self._state

    def _open(self) -> None:
        self._state = CircuitState.OPEN
        self._opened_at = self._clock()
        self._failures = 0

    def _admit(self) -> bool:
        """Whether a call may run now; True marks it as the HALF_OPEN trial when it is one."""
        state = self.state
        if state is CircuitState.OPEN:
            raise CircuitOpenError(
                f"circuit open; retry after {self.reset_timeout:g} s from the last failure"
            )
        if state is CircuitState.HALF_OPEN:
            if self._trial_running:
                raise CircuitOpenError("circuit half-open; a trial call is already running")
            self._trial_running = True
            return True
        return False

    async def execute(self, operation: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        trial = self._admit()
        try:
            result = await operation(*args, **kwargs)
        except Exception:
            self._record_failure(trial)
            raise
        except BaseException:
            if trial:
                self._trial_running = False
            raise
        self._record_success(trial)
        return result

    def _record_success(self, trial: bool) -> None:
        if trial:
            self._trial_running = False
            self._state = CircuitState.CLOSED
            self._failures = 0
        elif self._state is CircuitState.CLOSED:
            self._failures = 0

    def _record_failure(self, trial: bool) -> None:
        if trial:
            self._trial_running = False
            self._open()
        elif self._state is CircuitState.CLOSED:
            self._failures += 1
            if self._failures >= self.failure_threshold:
                self._open()
