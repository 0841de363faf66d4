"""The invariants on hand-made histories: each passes a correct history and catches a bad one."""

from __future__ import annotations

from typing import Any

from omnicloud.faults.checkers import (
    acknowledged_writes_survive,
    no_acknowledged_message_lost,
    no_operation_hangs,
    one_lock_holder_at_a_time,
    outbox_sequence_without_gaps,
    recovers_in_time,
    verdict,
)
from omnicloud.faults.history import History, Op


def op(kind: str, start: float, end: float, outcome: str = "ok", **kw: Any) -> Op:
    return Op(
        kw.get("process", 0),
        kind,
        kw.get("key", "k"),
        kw.get("value"),
        start,
        end,
        outcome,  # type: ignore[arg-type]
        result=kw.get("result"),
        error=kw.get("error", ""),
    )


def history(*ops: Op, **events: float) -> History:
    return History(began=0.0, ops=list(ops), events=dict(events))


def writes() -> History:
    return history(
        op("write", 0, 0.1, key="a", value="1"),
        op("write", 0.2, 0.3, key="b", value="2"),
        op("write", 0.4, 0.5, "fail", key="c", value="3", error="redis.ConnectionError: x"),
    )


def test_acked_writes_read_back_pass_and_unacked_ones_do_not_matter() -> None:
    check = acknowledged_writes_survive(
        writes(), {"a": "1", "b": "2", "c": None}, durable=True, crashed=True
    )
    assert check.outcome == "pass"


def test_a_lost_acked_write_fails_a_durable_backend_with_the_write_as_example() -> None:
    check = acknowledged_writes_survive(writes(), {"a": "1"}, durable=True, crashed=True)
    assert check.outcome == "fail"
    assert check.detail.startswith("1 of 2 acknowledged writes lost")
    assert check.examples[0]["key"] == "b"


def test_losses_across_a_crash_are_reported_not_failed_when_not_declared_durable() -> None:
    check = acknowledged_writes_survive(writes(), {}, durable=False, crashed=True)
    assert check.outcome == "n/a"
    assert "not declared durable" in check.detail
    network = acknowledged_writes_survive(writes(), {}, durable=False, crashed=False)
    assert network.outcome == "fail"  # no crash: nothing excuses a lost acknowledged write


def test_an_operation_past_its_timeout_is_a_hang() -> None:
    quick = history(op("write", 0, 0.2), op("write", 0, 0.3, "fail", error="TimeoutError: t"))
    assert no_operation_hangs(quick, 1.0).outcome == "pass"
    assert "1 x TimeoutError" in no_operation_hangs(quick, 1.0).detail
    slow = history(op("write", 0, 0.2), op("write", 0, 1.25, "hung"))
    check = no_operation_hangs(slow, 1.0)
    assert check.outcome == "fail"
    assert check.detail == "1 operations gave no answer within 1s (longest 1.25s, cancelled)"


def test_recovery_needs_a_success_in_time_and_no_failures_after_it() -> None:
    good = history(op("write", 2.0, 2.1, "fail"), op("write", 2.2, 2.3), heal=2.0)
    assert recovers_in_time(good, 1.0).outcome == "pass"
    never = history(op("write", 2.0, 2.1, "fail"), op("write", 3.5, 3.6), heal=2.0)
    assert recovers_in_time(never, 1.0).outcome == "fail"
    relapse = history(op("write", 2.0, 2.1), op("write", 3.5, 3.6, "fail"), heal=2.0)
    assert "still failed after the recovery time" in recovers_in_time(relapse, 1.0).detail


def test_messages_acknowledged_must_be_delivered_duplicates_only_at_least_once() -> None:
    sent = history(
        op("enqueue", 0, 0.1, value=b"m1"),
        op("enqueue", 0, 0.1, value=b"m2"),
        op("enqueue", 0, 0.1, "fail", value=b"m3"),
    )
    assert no_acknowledged_message_lost(sent, [b"m1", b"m2"]).outcome == "pass"
    lost = no_acknowledged_message_lost(sent, [b"m1"])
    assert (lost.outcome, lost.examples[0]["value"]) == ("fail", "m2")
    twice = [b"m1", b"m2", b"m2"]
    assert no_acknowledged_message_lost(sent, twice).outcome == "pass"
    assert no_acknowledged_message_lost(sent, twice, at_least_once=False).outcome == "fail"


def test_two_owners_inside_their_leases_at_once_fail_fencing() -> None:
    turns = history(
        op("acquire", 0.0, 0.1, process=1, value=0, result=True),
        op("release", 0.3, 0.35, process=1, value=0),
        op("acquire", 0.2, 0.36, process=2, value=0, result=True),  # answered after the release
        op("acquire", 0.2, 0.25, process=3, value=0, result=False),
    )
    assert one_lock_holder_at_a_time(turns, ttl=1.0).outcome == "pass"
    clash = history(
        op("acquire", 0.0, 0.1, process=1, value=0, result=True),
        op("acquire", 0.15, 0.2, process=2, value=0, result=True),
        op("release", 0.5, 0.6, process=1, value=0),
    )
    assert one_lock_holder_at_a_time(clash, ttl=1.0).outcome == "fail"
    # the first owner's lease ran out at 0.5 s: a second holder after that is no clash
    expired = history(
        op("acquire", 0.0, 0.1, process=1, value=0, result=True),
        op("acquire", 0.6, 0.7, process=2, value=0, result=True),
    )
    assert one_lock_holder_at_a_time(expired, ttl=0.5).outcome == "pass"


def test_a_run_fails_when_any_invariant_fails_and_n_a_is_not_a_failure() -> None:
    checks = [
        acknowledged_writes_survive(writes(), {}, durable=False, crashed=True),
        no_operation_hangs(writes(), 1.0),
    ]
    assert verdict(checks) == "pass"
    checks.append(acknowledged_writes_survive(writes(), {}, durable=True, crashed=True))
    assert verdict(checks) == "fail"


def saves(*outcomes: str) -> History:
    """One writer saving e0, e1, ... on aggregate ``a`` with these outcomes."""
    return history(
        *(
            op("enqueue", n, n + 0.5, outcome, key="a", value=f"e{n}")
            for n, outcome in enumerate(outcomes)
        )
    )


def test_outbox_consecutive_numbers_pass_even_after_a_failed_save() -> None:
    check = outbox_sequence_without_gaps(
        saves("ok", "fail", "ok"), {"a": [(1, "e0"), (2, "e2")], "b": [(0, "x"), (1, "y")]}
    )
    assert check.outcome == "pass", check
    assert check.detail == "4 events in 2 aggregates, no gap, no repeat"


def test_outbox_a_burnt_number_is_a_gap() -> None:
    check = outbox_sequence_without_gaps(saves("ok", "fail", "ok"), {"a": [(1, "e0"), (3, "e2")]})
    assert check.outcome == "fail"
    assert check.examples == [
        {"aggregate": "a", "missing": [2], "missing_count": 1, "repeated": [], "highest": 3}
    ]


def test_outbox_numbers_starting_late_or_repeated_are_caught() -> None:
    late = outbox_sequence_without_gaps(saves("ok"), {"a": [(5, "e0")]})
    assert late.outcome == "fail"
    assert late.examples[0]["missing"] == [1, 2, 3, 4]
    twice = outbox_sequence_without_gaps(saves("ok", "ok"), {"a": [(1, "e0"), (1, "e1")]})
    assert twice.outcome == "fail"
    assert twice.examples[0]["repeated"] == [1]


def test_outbox_a_writer_numbered_against_its_acknowledgement_order_is_caught() -> None:
    check = outbox_sequence_without_gaps(saves("ok", "ok"), {"a": [(2, "e0"), (1, "e1")]})
    assert check.outcome == "fail"
    assert check.examples[0]["numbered"] == 1
    assert check.examples[0]["acknowledged_after"] == 2


def test_outbox_with_nothing_stored_is_no_pass() -> None:
    assert outbox_sequence_without_gaps(saves("fail"), {}).outcome == "fail"
