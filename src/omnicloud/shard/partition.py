"""Duration-balanced shard partition: pure, deterministic, longest-processing-time first.

Every shard of a run computes the partition on its own machine, from the same collected test ids
and the same durations; the result must therefore depend only on that data, never on collection
order, hash seeds or the clock. Groups (tests that must stay on one machine, for example one
provider's test class sharing a class-scoped service) are scheduled as one unit.

LPT gives a makespan within ``4/3 - 1/(3N)`` of the optimum (Graham, 1969); the property tests
in ``tests/shard`` check that bound, and ``bench/shards.py`` compares it with pytest-split.
"""

from __future__ import annotations

import heapq
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

#: Estimate used when no test in the run has a recorded duration (all tests then weigh the same).
FALLBACK_DURATION = 1.0

GroupKey = Callable[[str], str]


@dataclass(frozen=True)
class Shard:
    """One shard: its 0-based ``index``, its test ids (sorted) and its estimated duration."""

    index: int
    tests: tuple[str, ...]
    estimated: float


def estimate_durations(
    test_ids: Iterable[str],
    durations: Mapping[str, float],
    default: float | None = None,
) -> dict[str, float]:
    """Duration of each test: the recorded one, else ``default``, else the median of the
    recorded durations of these tests (robust to a few very slow tests, unlike the mean)."""
    ids = sorted(set(test_ids))
    known = [durations[t] for t in ids if t in durations and durations[t] >= 0]
    if default is None:
        default = statistics.median(known) if known else FALLBACK_DURATION
    return {t: durations[t] if durations.get(t, -1.0) >= 0 else default for t in ids}


def group_by_class(test_id: str) -> str:
    """Group key keeping a pytest class (or a module's free functions) together."""
    path = test_id.split("[", 1)[0]
    return path.rsplit("::", 1)[0] if "::" in path else path


def group_by_module(test_id: str) -> str:
    """Group key keeping every test of one file together."""
    return test_id.split("::", 1)[0]


def group_by_test(test_id: str) -> str:
    """Group key giving every test its own group (the best balance)."""
    return test_id


GROUPINGS: dict[str, GroupKey] = {
    "test": group_by_test,
    "class": group_by_class,
    "module": group_by_module,
}


def partition_by_duration(
    test_ids: Iterable[str],
    count: int,
    durations: Mapping[str, float] | None = None,
    *,
    default_duration: float | None = None,
    group_of: GroupKey | None = None,
) -> list[Shard]:
    """Split ``test_ids`` into ``count`` shards of near-equal estimated duration.

    Groups are placed longest first on the currently lightest shard; ties (equal durations,
    equal loads) are broken by group key and shard index, so the result depends only on the
    set of ids and their durations. Each test lands in exactly one shard. Groups with a
    recorded duration are placed before the groups that only have an estimate.
    """
    if count < 1:
        raise ValueError(f"shard count must be >= 1, got {count}")
    durations = durations or {}
    weights = estimate_durations(test_ids, durations, default_duration)
    # Timed groups go first, longest first, each onto the lightest shard; groups never timed
    # follow, filling the lightest shards by their estimate. Placing a guessed test before the
    # timed ones would let a long timed test land on top of a long test we merely failed to
    # time (bench/shards.py measures both orders against pytest-split).
    order = sorted(_groups(weights, durations, group_of or group_by_test))
    heap = [(0.0, index) for index in range(count)]
    members: list[list[str]] = [[] for _ in range(count)]
    for _untimed, negative_weight, _key, tests in order:
        load, index = heapq.heappop(heap)
        members[index].extend(tests)
        heapq.heappush(heap, (load - negative_weight, index))
    loads = {index: load for load, index in heap}
    return [Shard(i, tuple(sorted(members[i])), loads[i]) for i in range(count)]


def select_shard(
    test_ids: Iterable[str],
    index: int,
    count: int,
    durations: Mapping[str, float] | None = None,
    *,
    default_duration: float | None = None,
    group_of: GroupKey | None = None,
) -> frozenset[str]:
    """The test ids of shard ``index`` (0-based) out of ``count``."""
    if not 0 <= index < count:
        raise ValueError(f"shard index {index} is outside 0..{count - 1}")
    shards = partition_by_duration(
        test_ids, count, durations, default_duration=default_duration, group_of=group_of
    )
    return frozenset(shards[index].tests)


_Group = tuple[bool, float, str, list[str]]  # (never timed, -weight, key, tests): sort order


def _groups(
    weights: Mapping[str, float], durations: Mapping[str, float], group_of: GroupKey
) -> list[_Group]:
    if group_of is group_by_test:  # the common case, without the bookkeeping below
        return [(durations.get(t, -1.0) < 0, -w, t, [t]) for t, w in weights.items()]
    totals: dict[str, float] = {}
    timed: dict[str, bool] = {}
    tests: dict[str, list[str]] = {}
    for test_id in sorted(weights):
        key = group_of(test_id)
        totals[key] = totals.get(key, 0.0) + weights[test_id]
        timed[key] = timed.get(key, False) or durations.get(test_id, -1.0) >= 0
        tests.setdefault(key, []).append(test_id)
    return [(not timed[k], -totals[k], k, tests[k]) for k in totals]
