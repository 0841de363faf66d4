"""Helpers shared by the primitive, policy and security suites (not part of the public surface).

Three things live here:

* unique names, so suites never depend on an empty store (a provider may share its backing store
  between instances, like every real server does);
* deadline polling for TTL tests: wall-clock assertions that cannot fail a correct provider on a
  loaded machine (see ``poll_until_missing`` and ``assert_present_until``);
* ``run_stateful``: drives a hypothesis ``RuleBasedStateMachine`` whose rules are synchronous
  against an async provider that lives on the test's own event loop.
"""

from __future__ import annotations

import asyncio
import functools
import os
import random
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

# Called through Any: hypothesis's annotations of this function differ between releases.
_run_machine: Any = run_state_machine_as_test


T = TypeVar("T")
ProviderFactory = Callable[..., Awaitable[Any]]


class Caller(Protocol):
    """Runs one provider coroutine to completion from a state-machine rule."""

    def __call__(self, coroutine: Coroutine[Any, Any, T], /) -> T: ...


#: Set ``TCK_STATEFUL_SHRINK=1`` to have hypothesis shrink a failing sequence to a minimal one.
#: Off by default: a failing run then reports the (deterministic, replayable) sequence as found,
#: in about a second, instead of spending tens of seconds of CPU minimizing it.
SHRINK_ENV = "TCK_STATEFUL_SHRINK"

#: The budget of every stateful test: bounded and deterministic, so a run is reproducible and
#: takes well under a second against an in-memory provider.
STATEFUL_SETTINGS = settings(
    max_examples=15,
    stateful_step_count=20,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=False,
    # Health checks judge how fast hypothesis can generate inputs, which against a real
    # backend over the network on a loaded runner is the machine, not the provider: a failed
    # health check would read as a contract violation.
    suppress_health_check=list(HealthCheck),
)


def stateful_settings() -> settings:
    """``STATEFUL_SETTINGS``, with the shrink phase only when ``TCK_STATEFUL_SHRINK=1``."""
    if os.environ.get(SHRINK_ENV) == "1":
        return STATEFUL_SETTINGS
    return settings(STATEFUL_SETTINGS, phases=[Phase.explicit, Phase.reuse, Phase.generate])


#: How long one provider call made from a state machine may take before the test fails.
CALL_TIMEOUT_S = 60.0
ABANDON_POLL_S = 0.2  # how soon a state machine notices that its test is gone

#: How late, after its TTL, a provider may still return an entry: room for whole-second expiry
#: clocks and sweepers. It models the *provider*, not the test machine: the checks against it only
#: ever read later than planned on a loaded machine, which can only make them more lenient.
EXPIRY_GRACE_S = 1.5

#: Pause between two reads while polling for an expiry.
POLL_INTERVAL_S = 0.05


def unique(label: str = "key") -> str:
    """A name no other test (or earlier run against a shared store) has used."""
    return f"tck-{label}-{uuid.uuid4()}"


_TEXT_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_/é中🔑"
#: Each byte value to one character of the alphabet (the first few characters are slightly
#: more frequent, which nothing here depends on).
_TEXT_OF_BYTE = {byte: _TEXT_ALPHABET[byte % len(_TEXT_ALPHABET)] for byte in range(256)}


@functools.lru_cache(maxsize=8)
def random_text(size: int, seed: int = 0) -> str:
    """Deterministic, non-repetitive text of ``size`` characters mixing ASCII and non-ASCII.

    Random bytes mapped to characters in C: a megabyte takes about 0.05 s, where drawing each
    character in Python took 0.2 s, in every run of the suites that store one.
    """
    return random.Random(seed).randbytes(size).decode("latin-1").translate(_TEXT_OF_BYTE)


async def poll_until_missing(
    read: Callable[[], Awaitable[Any]], *, deadline: float, missing: Any = None
) -> float | None:
    """Read until the result is ``missing``; return the monotonic time that read *started*.

    Returns ``None`` when the entry is still present at ``deadline``.
    """
    while True:
        started = time.monotonic()
        if await read() == missing:
            return started
        if started > deadline:
            return None
        await asyncio.sleep(POLL_INTERVAL_S)


async def first_early_miss(
    read: Callable[[], Awaitable[Any]], *, written_before: float, ttl: float, missing: Any = None
) -> float | None:
    """Poll until the TTL has surely not run out yet; return the age of an early miss, if any.

    ``written_before`` is the monotonic time taken just *before* the write was sent, so the
    provider's expiry is at or after ``written_before + ttl``. A read that returned ``missing``
    and *finished* before that instant proves the entry expired early, however slow the machine
    is; reads that finish later prove nothing and end the check.
    """
    earliest_expiry = written_before + ttl
    while True:
        value = await read()
        finished = time.monotonic()
        if finished >= earliest_expiry:
            return None
        if value == missing:
            return finished - written_before
        await asyncio.sleep(POLL_INTERVAL_S)


async def sleep_until(instant: float) -> None:
    """Sleep until the monotonic clock reaches ``instant`` (never less, whatever the load)."""
    while (remaining := instant - time.monotonic()) > 0:
        await asyncio.sleep(remaining)


async def run_stateful(
    machine: Callable[[Caller], RuleBasedStateMachine],
) -> None:
    """Run a state machine whose rules call the async provider through ``call(coroutine)``.

    Hypothesis rules are synchronous, while the provider belongs to the running event loop (it
    was created by the ``provider_factory`` fixture and is closed by it). The machine therefore
    runs in a worker thread and every provider call is scheduled back onto this loop, which is
    free because this coroutine is awaiting the thread.
    """
    loop = asyncio.get_running_loop()
    done = threading.Event()

    def call(coroutine: Coroutine[Any, Any, T], /) -> T:
        # The machine must not outlive the test: when the loop stops serving it (Ctrl-C left
        # the test, or it ended) a rule stops at once instead of waiting CALL_TIMEOUT_S per
        # call while hypothesis replays and shrinks, keeping the interpreter from exiting.
        if done.is_set() or not loop.is_running():
            coroutine.close()
            raise MachineAbandoned
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        deadline = time.monotonic() + CALL_TIMEOUT_S
        while True:
            try:
                return future.result(min(ABANDON_POLL_S, max(deadline - time.monotonic(), 0)))
            except TimeoutError:
                if done.is_set() or not loop.is_running():
                    raise MachineAbandoned from None
                if time.monotonic() >= deadline:
                    raise

    try:
        await asyncio.to_thread(_run_machine, lambda: machine(call), settings=stateful_settings())
    except MachineAbandoned:
        # Nobody awaits this test any more; cancelled, it never counts as passed and the loop
        # closing it logs no "exception was never retrieved".
        raise asyncio.CancelledError from None
    finally:
        done.set()


class MachineAbandoned(BaseException):
    """The test that ran the state machine is gone; ends the machine's thread (a
    ``BaseException``, so hypothesis stops instead of shrinking it as a failure)."""


def dict_model_machine(
    name: str, keys: tuple[str, ...], **set_options: Any
) -> Callable[[Any, Caller], RuleBasedStateMachine]:
    """A state machine driving a KV-shaped provider and a ``dict`` model side by side.

    ``name`` is the class name hypothesis prints in a falsifying example. Random
    ``set``/``delete``/``get`` on ``keys`` (under a per-example prefix); ``set`` gets
    ``set_options`` as keywords (the cache passes ``ttl=None``). Every read, and every key at the
    end of each example, must match the model.
    """

    class DictModelMachine(RuleBasedStateMachine):
        def __init__(self, provider: Any, call: Caller) -> None:
            super().__init__()
            self.provider, self.call = provider, call
            self.prefix = unique("stateful")
            self.model: dict[str, str] = {}

        @rule(key=st.sampled_from(keys), value=st.text(max_size=12))
        def write(self, key: str, value: str) -> None:
            self.call(self.provider.set(self.prefix + key, value, **set_options))
            self.model[key] = value

        @rule(key=st.sampled_from(keys))
        def remove(self, key: str) -> None:
            self.call(self.provider.delete(self.prefix + key))
            self.model.pop(key, None)

        @rule(key=st.sampled_from(keys))
        def read(self, key: str) -> None:
            assert self.call(self.provider.get(self.prefix + key)) == self.model.get(key)

        def teardown(self) -> None:
            """At the end of every example, all keys (present or not) match the model; then the
            example's keys go, so that no example starts from what an earlier one left (a
            provider whose behaviour depends on that would make hypothesis's replay of a
            failing example inconsistent, reported as a flaky strategy instead of the steps)."""
            try:
                actual = self.call(_read_all(self.provider, self.prefix, keys))
                assert actual == {key: self.model.get(key) for key in keys}
            finally:
                self.call(_delete_all(self.provider, self.prefix, keys))

    DictModelMachine.__name__ = DictModelMachine.__qualname__ = name
    return DictModelMachine


async def _read_all(provider: Any, prefix: str, keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: await provider.get(prefix + key) for key in keys}


async def _delete_all(provider: Any, prefix: str, keys: tuple[str, ...]) -> None:
    for key in keys:
        await provider.delete(prefix + key)
