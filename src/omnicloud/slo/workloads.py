"""Operations drawn from an interface's own methods, in a fixed, seeded mix.

A workload names the interface's operations with their share of the mix, prepares the data they
read (so a ``get`` finds what a ``set`` wrote) and yields a deterministic schedule of
``(operation, key)`` pairs: two runs with the same seed issue the same calls in the same order.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

Call = Callable[[Any, str, Any], Awaitable[object]]
Setup = Callable[[Any, Sequence[str], Any], Awaitable[None]]

KEYS = 256  # distinct keys per run: enough to spread load, few enough to prepare quickly


@dataclass(frozen=True)
class Operation:
    """One interface method in the mix: ``call(store, key, value)``."""

    name: str
    weight: int
    call: Call


@dataclass(frozen=True)
class Workload:
    """The operations of one interface, how to prepare the data they need, and the payload."""

    interface: str
    operations: tuple[Operation, ...]
    setup: Setup
    binary: bool = False  # payloads are bytes, not text

    def value(self, size: int) -> Any:
        return b"x" * size if self.binary else "x" * size

    def schedule(self, count: int, seed: int = 15) -> list[tuple[Operation, str]]:
        """``count`` (operation, key) pairs in the weighted mix, reproducible from ``seed``."""
        rng = random.Random(seed)
        weights = [op.weight for op in self.operations]
        chosen = rng.choices(self.operations, weights=weights, k=count)
        return [(op, f"slo-{rng.randrange(KEYS)}") for op in chosen]

    def keys(self) -> list[str]:
        return [f"slo-{i}" for i in range(KEYS)]


async def _kv_setup(store: Any, keys: Sequence[str], value: Any) -> None:
    for start in range(0, len(keys), 16):  # a few at a time: a slow provider prepares quickly
        await asyncio.gather(*(store.set(key, value) for key in keys[start : start + 16]))


async def _queue_setup(store: Any, keys: Sequence[str], value: Any) -> None:
    for key in keys[:16]:
        await store.queue_enqueue(key, value)


async def _no_setup(store: Any, keys: Sequence[str], value: Any) -> None:
    return None


def _kv_set(store: Any, key: str, value: Any) -> Awaitable[object]:
    return store.set(key, value)  # type: ignore[no-any-return]


def _kv_get(store: Any, key: str, value: Any) -> Awaitable[object]:
    return store.get(key)  # type: ignore[no-any-return]


def _kv_exists(store: Any, key: str, value: Any) -> Awaitable[object]:
    return store.exists(key)  # type: ignore[no-any-return]


def _kv_delete(store: Any, key: str, value: Any) -> Awaitable[object]:
    return store.delete(key)  # type: ignore[no-any-return]


def _queue_key(key: str) -> str:
    return f"q{int(key.rsplit('-', 1)[1]) % 16}"  # a few queues, each with depth


def _enqueue(store: Any, key: str, value: Any) -> Awaitable[object]:
    return store.queue_enqueue(_queue_key(key), value)  # type: ignore[no-any-return]


def _dequeue(store: Any, key: str, value: Any) -> Awaitable[object]:
    return store.queue_dequeue(_queue_key(key))  # type: ignore[no-any-return]


def _append(store: Any, key: str, value: Any) -> Awaitable[object]:
    return store.stream_append(_queue_key(key), value)  # type: ignore[no-any-return]


def _latest(store: Any, key: str, value: Any) -> Awaitable[object]:
    return store.stream_latest_offset(_queue_key(key))  # type: ignore[no-any-return]


#: Interface -> its workload. An interface absent here has no SLO measurement (yet).
WORKLOADS: dict[str, Workload] = {
    "keyvalue_basic": Workload(
        "keyvalue_basic",
        (
            Operation("get", 50, _kv_get),
            Operation("set", 30, _kv_set),
            Operation("exists", 15, _kv_exists),
            Operation("delete", 5, _kv_delete),
        ),
        _kv_setup,
    ),
    "queue_basic": Workload(
        "queue_basic",
        (Operation("queue_enqueue", 50, _enqueue), Operation("queue_dequeue", 50, _dequeue)),
        _queue_setup,
        binary=True,
    ),
    "stream_basic": Workload(
        "stream_basic",
        (
            Operation("stream_append", 70, _append),
            Operation("stream_latest_offset", 30, _latest),
        ),
        _no_setup,
        binary=True,
    ),
}
