"""One fault profile against one provider: a workload recorded before, during and after the
fault, then the invariants checked on that history.

Workloads by what the provider offers: ``kv`` (``keyvalue_basic`` or the ``kv_store``
contract: every write goes to a fresh key, so each acknowledged write has one value to find
again), ``queue`` (``queue_basic``: acknowledged enqueues drained afterwards), ``stream``
(``stream_basic``: acknowledged appends read back from offset 0), ``lock`` (the
``distributed_lock`` contract: owners acquire, hold briefly, release) and ``outbox`` (the
``transactional_outbox`` contract: writers save events on shared aggregates, each through its own
instance, opened again after a failed save as an application would; the stored sequence numbers
are read back afterwards).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from omnicloud.adapters.runtime import close_quietly
from omnicloud.config.models import ProviderConfig, ProviderFaults
from omnicloud.faults.checkers import (
    Check,
    acknowledged_writes_survive,
    no_acknowledged_message_lost,
    no_operation_hangs,
    one_lock_holder_at_a_time,
    outbox_sequence_without_gaps,
    recovers_in_time,
    verdict,
)
from omnicloud.faults.history import History
from omnicloud.faults.profiles import FaultProfile
from omnicloud.faults.proxy import FaultProxy
from omnicloud.faults.service import ServiceFaults
from tck_py.shared.models import OutboxEvent

Family = Literal["kv", "queue", "stream", "lock", "outbox"]
Creator = Callable[..., Awaitable[Any]]
WORKERS = 4
BEFORE = 0.3  # seconds of normal operation before the fault
SETTLE = 0.5  # seconds of successes after the heal that end the run early
LOCK_TTL = 1.0
AGGREGATES = 2  # outbox writers share aggregates: two writers contend for each sequence
#: What a factory calls the key space a second instance can reopen, in order of preference.
NAMESPACE_OPTIONS = ("namespace", "store")


def family_of(provider: ProviderConfig) -> Family | None:
    if "keyvalue_basic" in provider.implements or provider.contract == "kv_store":
        return "kv"
    if "queue_basic" in provider.implements:
        return "queue"
    if "stream_basic" in provider.implements:
        return "stream"
    if provider.contract == "distributed_lock":
        return "lock"
    if provider.contract == "transactional_outbox":
        return "outbox"
    return None


@dataclass
class FaultTarget:
    """A provider ready for faults: how to open it, what it declared, what can be faulted."""

    provider: str
    family: Family
    declared: ProviderFaults
    create: Creator
    services: list[ServiceFaults] = field(default_factory=list)
    proxies: list[FaultProxy] = field(default_factory=list)
    namespace_option: str | None = None  # the factory's key-space option (``namespace``)

    @property
    def namespaced(self) -> bool:
        return self.namespace_option is not None

    @property
    def deadline(self) -> float:
        """Calls are cancelled this long after they started: the declared timeout plus slack."""
        return self.declared.timeout + max(0.25, 0.25 * self.declared.timeout)


async def _open(target: FaultTarget, namespace: str) -> Any:
    """A provider instance on the run's own key space: the read-back instance must find what
    the writers wrote (factories without ``namespace`` are opened as configured)."""
    if target.namespace_option is not None:
        return await target.create(**{target.namespace_option: namespace})
    return await target.create()


# --- workloads: one coroutine per worker, until ``stop`` -----------------------------------
async def _kv_worker(
    store: Any, history: History, process: int, stop: asyncio.Event, deadline: float
) -> None:
    seq = 0
    while not stop.is_set():
        key, value = f"fault-{process}-{seq}", f"v{seq}"
        op = await history.call(
            process,
            "write",
            key=key,
            value=value,
            action=functools.partial(store.set, key, value),
            deadline=deadline,
        )
        seq += 1
        if op.outcome != "ok":
            await asyncio.sleep(0.02)  # a failing backend is not hammered in a tight loop


async def _queue_worker(
    store: Any, history: History, process: int, stop: asyncio.Event, deadline: float
) -> None:
    seq = 0
    while not stop.is_set():
        payload = f"m-{process}-{seq}".encode()
        op = await history.call(
            process,
            "enqueue",
            key="faults",
            value=payload,
            action=functools.partial(store.queue_enqueue, "faults", payload),
            deadline=deadline,
        )
        seq += 1
        if op.outcome != "ok":
            await asyncio.sleep(0.02)


async def _stream_worker(
    store: Any, history: History, process: int, stop: asyncio.Event, deadline: float
) -> None:
    seq = 0
    while not stop.is_set():
        payload = f"r-{process}-{seq}".encode()
        op = await history.call(
            process,
            "enqueue",  # an append is checked like an enqueue: delivered afterwards
            key="faults",
            value=payload,
            action=functools.partial(store.stream_append, "faults", payload),
            deadline=deadline,
        )
        seq += 1
        if op.outcome != "ok":
            await asyncio.sleep(0.02)


async def _lock_worker(
    store: Any, history: History, process: int, stop: asyncio.Event, deadline: float
) -> None:
    seq = 0
    while not stop.is_set():
        handle = store.get_lock("faults", LOCK_TTL)
        op = await history.call(
            process, "acquire", key="faults", value=seq, action=handle.acquire, deadline=deadline
        )
        if op.outcome == "ok" and op.result:
            await asyncio.sleep(0.01)  # the critical section
            await history.call(
                process,
                "release",
                key="faults",
                value=seq,
                action=handle.release,
                deadline=deadline,
            )
        else:
            await asyncio.sleep(0.01)
        seq += 1


async def _outbox_worker(  # noqa: PLR0917 -- the workers' shared signature, plus ``reopen``
    reopen: Callable[[], Awaitable[Any]],
    store: Any,
    history: History,
    process: int,
    stop: asyncio.Event,
    deadline: float,
) -> None:
    """Saves events on a shared aggregate through the worker's own instance; after a failed
    save that instance is dropped and a new one opened (single-connection outboxes never
    reconnect by themselves, and what is checked here is the sequence, not the client)."""
    del store  # each writer has its own connection, so the writers really contend
    aggregate = f"aggregate-{process % AGGREGATES}"
    own: list[Any] = []
    seq = 0
    try:
        while not stop.is_set():
            payload = f"e-{process}-{seq}".encode()
            event = OutboxEvent("faults", payload, aggregate_key=aggregate)
            op = await history.call(
                process,
                "enqueue",  # checked like an enqueue too: every acknowledged event stored
                key=aggregate,
                value=payload,
                action=functools.partial(_save, own, reopen, event),
                deadline=deadline,
            )
            seq += 1
            if op.outcome != "ok":
                await _drop(own)
                await asyncio.sleep(0.02)
    finally:
        await _drop(own)


async def _save(own: list[Any], reopen: Callable[[], Awaitable[Any]], event: Any) -> None:
    if not own:
        own.append(await reopen())
    await own[0].save_event(event)


async def _drop(own: list[Any]) -> None:
    while own:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(close_quietly(own.pop()), 1)


WORKLOADS: dict[Family, Callable[..., Coroutine[Any, Any, None]]] = {
    "kv": _kv_worker,
    "queue": _queue_worker,
    "stream": _stream_worker,
    "lock": _lock_worker,
    "outbox": _outbox_worker,
}


# --- faults ---------------------------------------------------------------------------------
async def _inject(target: FaultTarget, profile: FaultProfile) -> None:
    """Apply the fault for its duration and heal it; returns once healed."""
    if profile.kind == "network":
        for proxy in target.proxies:
            proxy.add(*profile.toxics)
        await asyncio.sleep(profile.duration)
        for proxy in target.proxies:
            proxy.clear()
    elif profile.kind == "hang":
        for service in target.services:
            service.pause()
        try:
            await asyncio.sleep(profile.duration)
        finally:
            for service in target.services:
                service.resume()
    else:
        for service in target.services:
            await asyncio.to_thread(service.crash)
        await asyncio.sleep(min(profile.duration, 0.5))  # down for a moment, then back
        for service in target.services:
            await asyncio.to_thread(service.restart)


async def _until_settled(history: History, recovery: float) -> None:
    """After the heal: stop once operations have succeeded for ``SETTLE`` seconds, or when
    the declared recovery time (plus ``SETTLE``) is over."""
    healed = history.events["heal"]
    while history.now() < healed + recovery + SETTLE:
        await asyncio.sleep(0.05)
        recent = [op for op in history.ops if op.start >= history.now() - SETTLE]
        if history.now() >= healed + SETTLE and recent and all(o.outcome == "ok" for o in recent):
            return


async def _read_back(
    target: FaultTarget, namespace: str, history: History, writer: Any
) -> dict[str, Any]:
    """What the provider holds afterwards: read by a fresh instance on the same key space, or
    by the writer itself when the factory cannot reopen a key space (no ``namespace``)."""
    if target.namespaced:
        store = await _retry(lambda: _open(target, namespace), target.declared.recovery)
    else:
        store = writer
    try:
        found: dict[str, Any] = await _retry(
            lambda: _read(target, store, history), target.declared.recovery
        )
        return found
    finally:
        if store is not writer:
            await close_quietly(store)


async def _read(target: FaultTarget, store: Any, history: History) -> dict[str, Any]:
    if target.family == "kv":
        keys = [op.key for op in history.of_kind("write") if op.outcome == "ok"]
        return {key: await store.get(key) for key in keys}
    drained: list[Any] = []
    if target.family == "outbox":
        return await _read_outbox(store)
    if target.family == "stream":  # every record from offset 0, a page at a time
        while page := await store.stream_read("faults", len(drained), 500):
            drained.extend(record.payload for record in page)
        return {"drained": drained}
    while (message := await store.queue_dequeue("faults")) is not None:
        drained.append(message.payload)
    return {"drained": drained}


async def _read_outbox(store: Any) -> dict[str, Any]:
    """Every pending event per aggregate as ``(sequence number, payload)``."""
    events = {}
    for aggregate in await store.get_pending_aggregate_keys():
        stored = await store.get_pending_events_for_aggregate(aggregate)
        events[aggregate] = [(_field(r, "sequence_id"), _field(r, "payload")) for r in stored]
    drained = [payload for stored in events.values() for _, payload in stored]
    return {"events": events, "drained": drained}


def _field(record: Any, name: str) -> Any:
    """Outbox records are mappings or objects, depending on the provider."""
    return record[name] if isinstance(record, Mapping) else getattr(record, name)


async def _retry(action: Callable[[], Awaitable[Any]], within: float) -> Any:
    end = asyncio.get_running_loop().time() + within
    while True:
        try:
            return await asyncio.wait_for(action(), max(0.5, within))
        except Exception:
            if asyncio.get_running_loop().time() >= end:
                raise
            await asyncio.sleep(0.1)


async def _final_state(
    target: FaultTarget, namespace: str, history: History, store: Any
) -> dict[str, Any] | str:
    """What the provider holds after the heal, or why it could not be read at all."""
    if target.family == "lock":
        return {}
    try:
        return await _read_back(target, namespace, history, store)
    except Exception as exc:  # the provider did not come back: a finding, not a crash of ours
        return f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"[:300]


def _checks(
    target: FaultTarget, profile: FaultProfile, history: History, final: dict[str, Any] | str
) -> list[Check]:
    declared = target.declared
    checks = [
        no_operation_hangs(history, declared.timeout),
        recovers_in_time(history, declared.recovery),
    ]
    crashed = profile.kind == "crash"
    if isinstance(final, str):
        unread = Check(
            "acknowledged data readable afterwards",
            "fail",
            f"nothing could be read back within {declared.recovery:g}s of the heal: {final}",
        )
        return [unread, *checks]
    if target.family == "kv":
        checks.insert(
            0,
            acknowledged_writes_survive(history, final, durable=declared.durable, crashed=crashed),
        )
    elif target.family in ("queue", "stream", "outbox"):
        check = no_acknowledged_message_lost(history, final["drained"])
        if crashed and not declared.durable and check.outcome == "fail":
            check = Check(
                check.invariant,
                "n/a",
                f"{check.detail} across the crash; the provider is not declared durable",
                check.examples,
            )
        checks.insert(0, check)
        if target.family == "outbox":
            checks.insert(0, outbox_sequence_without_gaps(history, final["events"]))
    else:
        checks.insert(0, one_lock_holder_at_a_time(history, LOCK_TTL))
    return checks


async def run_profile(target: FaultTarget, profile: FaultProfile) -> dict[str, Any]:
    """Run the workload, inject and heal the fault, check the invariants: one JSON record."""
    namespace = f"faults-{uuid.uuid4().hex[:8]}"
    history = History()
    store = await _open(target, namespace)
    stop = asyncio.Event()
    work: Callable[..., Coroutine[Any, Any, None]] = WORKLOADS[target.family]
    if target.family == "outbox":  # its writers open their own instances
        work = functools.partial(_outbox_worker, functools.partial(_open, target, namespace))
    tasks = [
        asyncio.create_task(work(store, history, n, stop, target.deadline)) for n in range(WORKERS)
    ]
    try:
        await asyncio.sleep(BEFORE)
        history.mark("fault")
        await _inject(target, profile)
        history.mark("heal")
        await _until_settled(history, target.declared.recovery)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        final = await _final_state(target, namespace, history, store)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(close_quietly(store), 2)
    checks = _checks(target, profile, history, final)
    return {
        "provider": target.provider,
        "profile": profile.name,
        "summary": profile.summary,
        "family": target.family,
        "outcome": verdict(checks),
        "declared": target.declared.model_dump(),
        "checks": [c.to_json() for c in checks],
        "operations": _counts(history),
        "events": history.events,
    }


def _counts(history: History) -> dict[str, int]:
    counts = {"total": len(history.ops), "ok": 0, "fail": 0, "hung": 0}
    for op in history.ops:
        counts[op.outcome] += 1
    return counts


def unsupported(target: FaultTarget, profile: FaultProfile) -> str | None:
    """Why ``profile`` cannot run against ``target`` here, or ``None``."""
    if profile.kind == "network":
        return None if target.proxies else "no service to put a fault proxy in front of"
    if not target.services:
        return "crash and hang faults need services started by the process or docker provisioner"
    if profile.kind == "crash":
        reasons = [r for s in target.services if (r := s.restartable)]
        return "; ".join(reasons) or None
    return None


def error_record(target: FaultTarget, profile: FaultProfile, exc: BaseException) -> dict[str, Any]:
    """A run the fault machinery itself could not complete: an error, never a pass."""
    return {
        "provider": target.provider,
        "profile": profile.name,
        "summary": profile.summary,
        "family": target.family,
        "outcome": "error",
        "declared": target.declared.model_dump(),
        "checks": [],
        "error": f"{type(exc).__name__}: {exc}".splitlines()[0][:500],
        "operations": {"total": 0, "ok": 0, "fail": 0, "hung": 0},
        "events": {},
    }
