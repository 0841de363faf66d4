"""Trials: open-loop latency at a fixed arrival rate, closed-loop maximum throughput.

Open loop (as wrk2 and k6's constant-arrival-rate): operation ``i`` is due at
``start + i / rate`` whatever happened before, and its latency counts from that intended start
when the worker meant to run it was still busy; a stall therefore shows in every operation that
queued behind it instead of hiding as one slow sample (coordinated omission). A worker that was
idle and merely woke a little late from its timer is charged from when it woke: timer slack is
the runner's, not the service's. Closed loop: ``concurrency`` workers issue operations back to
back; the rate they sustain is the throughput.

Latencies are kept as integers in a flat array while the trial runs (two clock reads and an
append per operation) and go into an HDR histogram afterwards, outside the timed path.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from hdrh.histogram import HdrHistogram

from omnicloud.slo.workloads import Operation, Workload

#: Histogram range: 1 us .. 60 s, three significant digits (0.1 % resolution).
LOWEST_US, HIGHEST_US, DIGITS = 1, 60_000_000, 3


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


@dataclass
class Trial:
    """One measured window: latencies in nanoseconds, failures, and how long it lasted."""

    mode: Literal["open", "closed"]
    elapsed: float = 0.0
    latencies_ns: array[int] = field(default_factory=lambda: array("q"))
    errors: int = 0
    behind: int = 0  # open loop: operations that started after their intended time
    abandoned: int = 0  # open loop: due operations never started (the service fell too far behind)

    @property
    def count(self) -> int:
        return len(self.latencies_ns)

    @property
    def throughput(self) -> float:
        return self.count / self.elapsed if self.elapsed > 0 else 0.0

    def histogram(self) -> HdrHistogram:
        hist = new_histogram()
        for value in self.latencies_ns:
            hist.record_value(min(max(value // 1000, LOWEST_US), HIGHEST_US))
        return hist


Schedule = Sequence[tuple[Operation, str]]


async def open_loop(
    store: Any,
    schedule: Schedule,
    value: Any,
    *,
    rate: float,
    duration: float,
    warmup: float,
    workers: int,
) -> Trial:
    """Operations due at a fixed ``rate`` for ``warmup + duration`` seconds; the warm-up ones
    run but are not recorded.

    A service too slow for the rate would stretch the trial without end: operations still not
    started ``duration`` after the window closed are abandoned, each recorded with the time it
    had already waited (a lower bound of its latency), so the stall still shows.
    """
    trial = Trial("open", elapsed=duration)
    interval = 1e9 / rate
    total = int((warmup + duration) * rate)
    warm = int(warmup * rate)
    counter = itertools.count()
    now = time.perf_counter_ns
    start = now() + 1_000_000
    give_up = start + int((warmup + 2 * duration) * 1e9)
    size = len(schedule)

    async def worker() -> None:
        for i in iter(counter.__next__, None):
            if i >= total:
                return
            due = start + int(i * interval)
            ready = now()
            if ready > give_up:
                trial.abandoned += 1
                if i >= warm:
                    trial.latencies_ns.append(ready - due)
                continue
            if ready < due:
                await asyncio.sleep((due - ready) / 1e9)
                begin = now()  # idle and woke late: the timer's slack is not charged
            else:
                begin = due  # behind schedule: the wait behind slow operations is charged
                trial.behind += i >= warm
            op, key = schedule[i % size]
            try:
                await op.call(store, key, value)
            except Exception:  # a failed operation is counted, never timed as a success
                trial.errors += i >= warm
                continue
            if i >= warm:
                trial.latencies_ns.append(now() - begin)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return trial


async def closed_loop(
    store: Any,
    schedule: Schedule,
    value: Any,
    *,
    concurrency: int,
    duration: float,
    warmup: float,
) -> Trial:
    """``concurrency`` workers back to back for ``warmup + duration`` seconds."""
    trial = Trial("closed")
    now = time.perf_counter_ns
    begin = now()
    measured_from = begin + int(warmup * 1e9)
    end = measured_from + int(duration * 1e9)
    size = len(schedule)
    last = [measured_from]

    async def worker(offset: int) -> None:
        i = offset
        while True:
            op, key = schedule[i % size]
            i += concurrency
            t0 = now()
            try:
                await op.call(store, key, value)
            except Exception:
                trial.errors += t0 >= measured_from
                t1 = now()
            else:
                t1 = now()
                if t0 >= measured_from:
                    trial.latencies_ns.append(t1 - t0)
            if t1 >= end:
                last.append(t1)
                return

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    trial.elapsed = (max(last) - measured_from) / 1e9
    return trial


async def bare_loop(store: Any, schedule: Schedule, value: Any, *, concurrency: int) -> float:
    """The same calls as a timed loop, with nothing measured per call: seconds for all."""
    size = len(schedule)

    async def worker(offset: int) -> None:
        for i in range(offset, size, concurrency):
            op, key = schedule[i]
            await op.call(store, key, value)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return time.perf_counter() - t0


async def timed_loop(store: Any, schedule: Schedule, value: Any, *, concurrency: int) -> float:
    """The closed loop's per-call work (two clock reads, an append) over ``schedule`` once."""
    size = len(schedule)
    now = time.perf_counter_ns
    record = array("q")

    async def worker(offset: int) -> None:
        for i in range(offset, size, concurrency):
            op, key = schedule[i]
            t0 = now()
            await op.call(store, key, value)
            record.append(now() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return time.perf_counter() - t0


async def _noop(store: Any, key: str, value: Any) -> None:
    return None


async def runner_cost_ns(calls: int = 20_000, rounds: int = 5) -> float:
    """The measuring loop's own cost per operation, in ns: the timed loop minus the bare loop
    over an operation that does nothing (best of ``rounds``, the least disturbed)."""
    schedule = [(Operation("noop", 1, _noop), "k")] * calls
    bare = min([await bare_loop(None, schedule, None, concurrency=1) for _ in range(rounds)])
    timed = min([await timed_loop(None, schedule, None, concurrency=1) for _ in range(rounds)])
    return max(0.0, (timed - bare) / calls * 1e9)


async def prepare(store: Any, workload: Workload, value: Any) -> None:
    await workload.setup(store, workload.keys(), value)
