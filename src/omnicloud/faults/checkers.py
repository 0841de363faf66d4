"""Invariants checked on a recorded history (pure: data in, verdict out).

Each checker returns a ``Check``: ``pass``, ``fail`` (with counterexamples from the history),
or ``n/a`` with the reason (a backend not declared durable is not held to durability across a
crash, and the report says how many acknowledged writes it lost).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from omnicloud.faults.history import History, Op

CheckOutcome = Literal["pass", "fail", "n/a"]
EXAMPLES = 5  # counterexamples kept per check


@dataclass(frozen=True)
class Check:
    invariant: str
    outcome: CheckOutcome
    detail: str
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _examples(ops: Iterable[Op]) -> list[dict[str, Any]]:
    return [op.to_json() for op in list(ops)[:EXAMPLES]]


def acknowledged_writes_survive(
    history: History, final: Mapping[str, Any], *, durable: bool, crashed: bool
) -> Check:
    """Every acknowledged write is read back afterwards (each key is written once).

    Across a crash this holds only for a backend declared ``durable``; across every other
    fault (network, hang) it holds for every backend.
    """
    name = "acknowledged writes survive"
    acked = [op for op in history.of_kind("write") if op.outcome == "ok"]
    lost = [op for op in acked if final.get(op.key) != op.value]
    if not acked:
        return Check(name, "fail", "no write was acknowledged at all: nothing to check")
    if not lost:
        return Check(name, "pass", f"all {len(acked)} acknowledged writes read back")
    detail = f"{len(lost)} of {len(acked)} acknowledged writes lost"
    if crashed and not durable:
        return Check(
            name,
            "n/a",
            f"{detail} across the crash; the provider is not declared durable",
            _examples(lost),
        )
    why = "declared durable" if crashed else "no crash happened, only"
    return Check(
        name,
        "fail",
        f"{detail} ({why} {'' if crashed else 'a network fault'})".strip(),
        _examples(lost),
    )


def no_operation_hangs(history: History, timeout: float) -> Check:
    """Every operation answers (succeeds or raises) within the declared timeout."""
    name = f"no operation hangs past its timeout ({timeout:g}s)"
    slow = [op for op in history.ops if op.outcome == "hung" or op.duration > timeout]
    if slow:
        worst = max(op.duration for op in slow)
        return Check(
            name,
            "fail",
            f"{len(slow)} operations gave no answer within {timeout:g}s (longest {worst:.2f}s"
            f"{', cancelled' if any(o.outcome == 'hung' for o in slow) else ''})",
            _examples(slow),
        )
    failed = Counter(op.error.split(":", 1)[0] for op in history.ops if op.outcome == "fail")
    errors = ", ".join(f"{n} x {e}" for e, n in failed.most_common(3))
    return Check(
        name,
        "pass",
        f"{len(history.ops)} operations answered in time"
        + (f"; failures raised: {errors}" if errors else ""),
    )


def recovers_in_time(history: History, recovery: float) -> Check:
    """After the heal, operations succeed again within the declared recovery time, and every
    operation started after that succeeds."""
    name = f"recovers within {recovery:g}s of the heal"
    healed = history.events.get("heal")
    if healed is None:
        return Check(name, "n/a", "the fault never healed")
    after = [op for op in history.ops if op.start >= healed]
    first = next((op for op in sorted(after, key=lambda o: o.end) if op.outcome == "ok"), None)
    if first is None or first.end - healed > recovery:
        return Check(
            name,
            "fail",
            "no operation succeeded within the recovery time after the heal",
            _examples(op for op in after if op.outcome != "ok"),
        )
    late = [op for op in after if op.start >= healed + recovery and op.outcome != "ok"]
    if late:
        return Check(
            name,
            "fail",
            f"{len(late)} operations still failed after the recovery time",
            _examples(late),
        )
    return Check(name, "pass", f"first success {first.end - healed:.2f}s after the heal")


def no_acknowledged_message_lost(
    history: History, drained: Sequence[Any], *, at_least_once: bool = True
) -> Check:
    """Every acknowledged message is delivered (during the run or when drained afterwards);
    duplicates only where the interface allows at-least-once delivery."""
    name = "no acknowledged message lost"
    sent = [op for op in history.of_kind("enqueue") if op.outcome == "ok"]
    received = Counter(drained)
    received.update(op.result for op in history.of_kind("dequeue") if op.outcome == "ok")
    lost = [op for op in sent if received[op.value] == 0]
    if lost:
        return Check(
            name,
            "fail",
            f"{len(lost)} of {len(sent)} acknowledged messages never delivered",
            _examples(lost),
        )
    twice = [m for m, n in received.items() if m is not None and n > 1]
    if twice and not at_least_once:
        return Check(name, "fail", f"{len(twice)} messages delivered more than once")
    return Check(
        name,
        "pass",
        f"all {len(sent)} acknowledged messages delivered"
        + (f" ({len(twice)} more than once: at-least-once)" if twice else ""),
    )


def one_lock_holder_at_a_time(history: History, ttl: float) -> Check:
    """No two owners hold a lock at once. An owner surely holds it from its acquire's answer
    until it starts releasing, and at most until its lease (``ttl``) from the acquire's start:
    two such windows of different owners overlapping are two holders (fencing violated)."""
    name = "never two lock holders"
    acquires = [op for op in history.of_kind("acquire") if op.outcome == "ok" and op.result]
    releases = {(op.process, op.value): op for op in history.of_kind("release")}
    windows = []
    for op in acquires:
        release = releases.get((op.process, op.value))
        until = min(release.start if release else op.start + ttl, op.start + ttl)
        windows.append((op.end, until, op))
    windows.sort(key=lambda w: w[0])
    clashes, held_until, holder = [], float("-inf"), -1
    for begin, end, op in windows:
        if begin < held_until and op.process != holder:
            clashes.append(op)
        if end > held_until:
            held_until, holder = end, op.process
    if clashes:
        return Check(
            name,
            "fail",
            f"{len(clashes)} acquisitions while another owner held the lock",
            _examples(clashes),
        )
    if not acquires:
        return Check(name, "fail", "no acquisition succeeded: nothing to check")
    return Check(name, "pass", f"{len(acquires)} acquisitions, never two holders")


def outbox_sequence_without_gaps(
    history: History, events: Mapping[str, Sequence[tuple[int, Any]]]
) -> Check:
    """Each aggregate's stored events carry consecutive sequence numbers from the first (0 or 1):
    no number missing, none twice; and one writer's acknowledged events, saved one after the
    other, are numbered in the order they were acknowledged. ``events`` maps an aggregate to
    its stored ``(sequence number, payload)`` pairs as read back after the heal."""
    name = "the outbox keeps its sequence without gaps"
    if not any(events.values()):
        return Check(name, "fail", "no event was stored at all: nothing to check")
    problems = [
        problem
        for aggregate, stored in sorted(events.items())
        if (problem := _sequence_problem(aggregate, stored))
    ]
    problems.extend(_out_of_order(history, events))
    if problems:
        return Check(name, "fail", f"{len(problems)} sequence violations", problems[:EXAMPLES])
    total = sum(len(stored) for stored in events.values())
    return Check(name, "pass", f"{total} events in {len(events)} aggregates, no gap, no repeat")


def _sequence_problem(aggregate: str, stored: Sequence[tuple[int, Any]]) -> dict[str, Any] | None:
    numbers = sorted(n for n, _ in stored)
    if not numbers:
        return None
    start = min(numbers[0], 1)
    missing = sorted(set(range(start, numbers[-1] + 1)) - set(numbers))
    repeated = sorted(n for n, count in Counter(numbers).items() if count > 1)
    if not missing and not repeated:
        return None
    return {
        "aggregate": aggregate,
        "missing": missing[:10],
        "missing_count": len(missing),
        "repeated": repeated[:10],
        "highest": numbers[-1],
    }


def _out_of_order(
    history: History, events: Mapping[str, Sequence[tuple[int, Any]]]
) -> list[dict[str, Any]]:
    numbered = {(agg, payload): n for agg, stored in events.items() for n, payload in stored}
    last: dict[tuple[int, str], tuple[int, Any]] = {}
    problems = []
    for op in sorted(history.of_kind("enqueue"), key=lambda o: o.end):
        number = numbered.get((op.key, op.value))
        if op.outcome != "ok" or number is None:
            continue
        before = last.get((op.process, op.key))
        if before is not None and number <= before[0]:
            problems.append(
                {
                    "aggregate": op.key,
                    "process": op.process,
                    "acknowledged_after": before[0],
                    "numbered": number,
                    "payload": repr(op.value),
                }
            )
        last[(op.process, op.key)] = (number, op.value)
    return problems


def verdict(checks: Sequence[Check]) -> Literal["pass", "fail"]:
    return "fail" if any(c.outcome == "fail" for c in checks) else "pass"
