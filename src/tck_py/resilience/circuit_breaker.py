"""Circuit breaker contract.

Fixture ``provider_factory`` (sync) returns an async callable called with keywords:
``breaker = await provider_factory(failure_threshold=3, reset_timeout=5.0)``.

* ``breaker.state`` is a synchronous property returning a ``CircuitState``; it reflects time by
  itself: once ``reset_timeout`` seconds have passed since the breaker opened it reads
  ``HALF_OPEN`` with no call in between;
* ``await breaker.execute(operation, *args, **kwargs)`` awaits ``operation(*args, **kwargs)`` and
  returns its result. A raised exception is counted and re-raised unchanged (the same object).
  While ``OPEN`` it raises ``CircuitOpenError`` without calling the operation.

State machine: CLOSED -> OPEN when consecutive failures reach ``failure_threshold`` (a success
while CLOSED resets the count); OPEN -> HALF_OPEN after ``reset_timeout``; in HALF_OPEN exactly
one trial call reaches the operation (concurrent callers are refused with ``CircuitOpenError``
or wait for the trial's outcome), success -> CLOSED with a fresh count, failure -> OPEN with a
fresh ``reset_timeout``.

Timing assumptions: the breaker must read ``HALF_OPEN`` within ``reset_timeout + 2.0`` s of
opening (tests poll every 10 ms instead of sleeping a fixed 1.1 s). A breaker with
``reset_timeout=5.0`` must still be OPEN right after opening, and one re-opened by a failed
trial with ``reset_timeout=1.0`` must still be OPEN right after that failure. One with
``reset_timeout=2.0`` must still be OPEN 0.3 s after opening (1.7 s of margin; this catches
timeouts read as milliseconds). During the
single-trial test the trial call is held open for 50 ms so that concurrent callers can show
whether they reach the operation.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tck_py.shared.exceptions import CircuitOpenError
from tck_py.shared.models import CircuitState

BreakerFactory = Callable[..., Awaitable[Any]]

STATE_SLACK = 2.0
EARLY_CHECK = 0.3


async def _wait_for_half_open(breaker: Any, reset_timeout: float) -> None:
    deadline = time.monotonic() + reset_timeout + STATE_SLACK
    while breaker.state != CircuitState.HALF_OPEN:
        if time.monotonic() >= deadline:
            pytest.fail(
                f"breaker still {breaker.state} {reset_timeout + STATE_SLACK:.1f} s after opening"
                f" with reset_timeout={reset_timeout}"
            )
        await asyncio.sleep(0.01)


async def _fail(breaker: Any, counter: Any) -> None:
    with pytest.raises(ValueError):
        await breaker.execute(counter.operation)


@pytest.mark.asyncio
class BaseTestCircuitBreakerContract:
    """The circuit breaker contract. Subclass it and override ``provider_factory``."""

    class CallCounter:
        """An async operation that fails its first ``fail_times`` calls with ``ValueError``."""

        def __init__(self, fail_times: int = 0) -> None:
            self._fail_times = fail_times
            self._calls = 0

        @property
        def call_count(self) -> int:
            return self._calls

        async def operation(self, *args: Any, **kwargs: Any) -> str:
            self._calls += 1
            await asyncio.sleep(0)
            if self._calls <= self._fail_times:
                raise ValueError(f"simulated failure #{self._calls}")
            return "success"

    @pytest.fixture
    def provider_factory(self) -> BreakerFactory:
        raise NotImplementedError(
            "override the 'provider_factory' fixture in your test class: it must return an async"
            " callable '(failure_threshold=, reset_timeout=) -> breaker'"
        )

    # -- upstream tck_py 0.1 tests -------------------------------------------------------------

    async def test_initial_state_is_closed(self, provider_factory: BreakerFactory) -> None:
        breaker = await provider_factory(failure_threshold=3, reset_timeout=5.0)
        assert breaker.state == CircuitState.CLOSED

    async def test_executes_successfully_in_closed_state(
        self, provider_factory: BreakerFactory
    ) -> None:
        breaker = await provider_factory(failure_threshold=3, reset_timeout=5.0)
        counter = self.CallCounter()
        assert await breaker.execute(counter.operation) == "success"
        assert counter.call_count == 1
        assert breaker.state == CircuitState.CLOSED

    async def test_transitions_to_open_after_failures(
        self, provider_factory: BreakerFactory
    ) -> None:
        breaker = await provider_factory(failure_threshold=2, reset_timeout=5.0)
        counter = self.CallCounter(fail_times=5)
        await _fail(breaker, counter)
        assert breaker.state == CircuitState.CLOSED
        await _fail(breaker, counter)
        assert breaker.state == CircuitState.OPEN
        with pytest.raises(CircuitOpenError):
            await breaker.execute(counter.operation)
        assert counter.call_count == 2

    async def test_transitions_to_half_open_after_timeout(
        self, provider_factory: BreakerFactory
    ) -> None:
        breaker = await provider_factory(failure_threshold=1, reset_timeout=1.0)
        await _fail(breaker, self.CallCounter(fail_times=1))
        assert breaker.state == CircuitState.OPEN
        await _wait_for_half_open(breaker, 1.0)

    async def test_half_open_to_closed_on_success(self, provider_factory: BreakerFactory) -> None:
        breaker = await provider_factory(failure_threshold=1, reset_timeout=1.0)
        counter = self.CallCounter(fail_times=1)
        await _fail(breaker, counter)
        await _wait_for_half_open(breaker, 1.0)
        assert await breaker.execute(counter.operation) == "success"
        assert breaker.state == CircuitState.CLOSED

    async def test_half_open_to_open_on_failure(self, provider_factory: BreakerFactory) -> None:
        breaker = await provider_factory(failure_threshold=1, reset_timeout=1.0)
        counter = self.CallCounter(fail_times=2)
        await _fail(breaker, counter)
        await _wait_for_half_open(breaker, 1.0)
        await _fail(breaker, counter)
        assert breaker.state == CircuitState.OPEN

    # -- stricter guarantees ---------------------------------------------------------------------

    async def test_success_resets_failure_count_while_closed(
        self, provider_factory: BreakerFactory
    ) -> None:
        breaker = await provider_factory(failure_threshold=2, reset_timeout=5.0)
        failing, working = self.CallCounter(fail_times=9), self.CallCounter()
        await _fail(breaker, failing)
        assert await breaker.execute(working.operation) == "success"
        await _fail(breaker, failing)
        assert breaker.state == CircuitState.CLOSED

    async def test_open_breaker_refuses_without_calling_the_operation(
        self, provider_factory: BreakerFactory
    ) -> None:
        breaker = await provider_factory(failure_threshold=1, reset_timeout=5.0)
        await _fail(breaker, self.CallCounter(fail_times=1))
        untouched = self.CallCounter()
        for _ in range(3):
            with pytest.raises(CircuitOpenError):
                await breaker.execute(untouched.operation)
        assert untouched.call_count == 0
        assert breaker.state == CircuitState.OPEN

    async def test_stays_open_until_the_reset_timeout(
        self, provider_factory: BreakerFactory
    ) -> None:
        breaker = await provider_factory(failure_threshold=1, reset_timeout=2.0)
        await _fail(breaker, self.CallCounter(fail_times=1))
        await asyncio.sleep(EARLY_CHECK)
        assert breaker.state == CircuitState.OPEN
        untouched = self.CallCounter()
        with pytest.raises(CircuitOpenError):
            await breaker.execute(untouched.operation)
        assert untouched.call_count == 0

    async def test_exactly_one_trial_call_in_half_open(
        self, provider_factory: BreakerFactory
    ) -> None:
        breaker = await provider_factory(failure_threshold=1, reset_timeout=0.2)
        await _fail(breaker, self.CallCounter(fail_times=1))
        await _wait_for_half_open(breaker, 0.2)
        entered = 0
        release = asyncio.Event()

        async def slow_trial() -> str:
            nonlocal entered
            entered += 1
            await release.wait()
            return "success"

        calls = [asyncio.ensure_future(breaker.execute(slow_trial)) for _ in range(5)]
        await asyncio.sleep(0.05)
        in_flight_at_once = entered
        release.set()
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert in_flight_at_once == 1, (
            f"{in_flight_at_once} calls reached the operation in HALF_OPEN"
        )
        assert all(r == "success" or isinstance(r, CircuitOpenError) for r in results), results
        assert breaker.state == CircuitState.CLOSED

    async def test_failed_trial_restarts_the_reset_timeout(
        self, provider_factory: BreakerFactory
    ) -> None:
        breaker = await provider_factory(failure_threshold=1, reset_timeout=1.0)
        counter = self.CallCounter(fail_times=2)
        await _fail(breaker, counter)
        await _wait_for_half_open(breaker, 1.0)
        await _fail(breaker, counter)
        assert breaker.state == CircuitState.OPEN
        with pytest.raises(CircuitOpenError):
            await breaker.execute(counter.operation)
        assert counter.call_count == 2

    async def test_success_in_half_open_starts_a_fresh_count(
        self, provider_factory: BreakerFactory
    ) -> None:
        breaker = await provider_factory(failure_threshold=2, reset_timeout=0.2)
        failing = self.CallCounter(fail_times=9)
        await _fail(breaker, failing)
        await _fail(breaker, failing)
        await _wait_for_half_open(breaker, 0.2)
        assert await breaker.execute(self.CallCounter().operation) == "success"
        await _fail(breaker, failing)
        assert breaker.state == CircuitState.CLOSED

    async def test_failures_below_threshold_keep_calls_flowing(
        self, provider_factory: BreakerFactory
    ) -> None:
        breaker = await provider_factory(failure_threshold=3, reset_timeout=5.0)
        counter = self.CallCounter(fail_times=2)
        await _fail(breaker, counter)
        await _fail(breaker, counter)
        assert await breaker.execute(counter.operation) == "success"
        assert counter.call_count == 3

    async def test_operation_exception_is_re_raised_unchanged(
        self, provider_factory: BreakerFactory
    ) -> None:
        breaker = await provider_factory(failure_threshold=3, reset_timeout=5.0)
        original = ValueError("the very same exception object")

        async def broken() -> None:
            raise original

        with pytest.raises(ValueError) as raised:
            await breaker.execute(broken)
        assert raised.value is original

    async def test_arguments_are_forwarded_to_the_operation(
        self, provider_factory: BreakerFactory
    ) -> None:
        breaker = await provider_factory(failure_threshold=3, reset_timeout=5.0)

        async def echo(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
            return args, kwargs

        assert await breaker.execute(echo, 1, "two", three=3) == ((1, "two"), {"three": 3})
