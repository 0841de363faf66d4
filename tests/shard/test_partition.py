"""The partition core: every test in exactly one shard, deterministic, within LPT's bound."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnicloud.shard.partition import (
    estimate_durations,
    group_by_class,
    group_by_module,
    partition_by_duration,
    select_shard,
)

test_ids = st.lists(st.text("abcdefgh/:[]._", min_size=1, max_size=12), max_size=60, unique=True)
durations_for = st.floats(min_value=0.0, max_value=1000.0, allow_nan=False)


@st.composite
def suites(draw: st.DrawFn) -> tuple[list[str], dict[str, float], int]:
    ids = draw(test_ids)
    known = draw(st.lists(st.sampled_from(ids), unique=True) if ids else st.just([]))
    durations = {t: draw(durations_for) for t in known}
    return ids, durations, draw(st.integers(1, 9))


@given(suites())
def test_every_test_lands_in_exactly_one_shard(
    suite: tuple[list[str], dict[str, float], int],
) -> None:
    ids, durations, count = suite
    shards = partition_by_duration(ids, count, durations)
    assert len(shards) == count
    assert [s.index for s in shards] == list(range(count))
    placed = [t for s in shards for t in s.tests]
    assert sorted(placed) == sorted(ids)
    assert len(placed) == len(set(placed))


@given(suites(), st.randoms(use_true_random=False))
def test_partition_depends_only_on_the_set_of_ids(
    suite: tuple[list[str], dict[str, float], int], rng: random.Random
) -> None:
    ids, durations, count = suite
    shuffled = list(ids)
    rng.shuffle(shuffled)
    reordered = dict(sorted(durations.items(), reverse=True))
    assert partition_by_duration(ids, count, durations) == partition_by_duration(
        shuffled, count, reordered
    )


@settings(max_examples=150)
@given(
    st.lists(st.integers(1, 60), min_size=1, max_size=8),
    st.integers(2, 3),
)
def test_makespan_is_within_grahams_lpt_bound_of_the_optimum(sizes: list[int], count: int) -> None:
    ids = [f"t{i}" for i in range(len(sizes))]
    durations = dict(zip(ids, map(float, sizes), strict=True))
    makespan = max(s.estimated for s in partition_by_duration(ids, count, durations))
    optimum = min(
        max(sum(sz for sz, m in zip(sizes, assign, strict=True) if m == k) for k in range(count))
        for assign in itertools.product(range(count), repeat=len(sizes))
    )
    assert makespan <= (4 / 3 - 1 / (3 * count)) * optimum + 1e-9


@given(suites())
def test_makespan_exceeds_the_ideal_by_at_most_one_test(
    suite: tuple[list[str], dict[str, float], int],
) -> None:
    ids, durations, count = suite
    weights = estimate_durations(ids, durations)
    shards = partition_by_duration(ids, count, durations)
    ideal = max(sum(weights.values()) / count, max(weights.values(), default=0.0))
    assert max(s.estimated for s in shards) <= ideal + max(weights.values(), default=0.0) + 1e-6


def test_lpt_places_the_longest_tests_first_on_the_lightest_shard() -> None:
    durations = {"a": 5.0, "b": 4.0, "c": 3.0, "d": 3.0, "e": 2.0, "f": 1.0}
    shards = partition_by_duration(durations, 2, durations)
    assert [s.tests for s in shards] == [("a", "d", "f"), ("b", "c", "e")]
    assert [s.estimated for s in shards] == [9.0, 9.0]


def test_unknown_durations_get_the_median_of_the_known_ones() -> None:
    weights = estimate_durations(["a", "b", "c", "x"], {"a": 1.0, "b": 2.0, "c": 100.0})
    assert weights == {"a": 1.0, "b": 2.0, "c": 100.0, "x": 2.0}


def test_the_median_ignores_durations_of_tests_not_in_this_run() -> None:
    assert estimate_durations(["a", "x"], {"a": 4.0, "gone": 1000.0}) == {"a": 4.0, "x": 4.0}


def test_a_configured_default_overrides_the_median() -> None:
    assert estimate_durations(["a", "x"], {"a": 4.0}, default=0.5) == {"a": 4.0, "x": 0.5}


def test_without_any_durations_shards_get_equal_counts() -> None:
    shards = partition_by_duration([f"t{i:02}" for i in range(10)], 3)
    assert sorted(len(s.tests) for s in shards) == [3, 3, 4]


def test_grouped_tests_stay_in_one_shard() -> None:
    ids = [f"tests/test_{m}.py::Test{c}::test_{i}" for m in "ab" for c in "XYZ" for i in range(4)]
    shards = partition_by_duration(ids, 3, group_of=group_by_class)
    owner = {t: s.index for s in shards for t in s.tests}
    for cls in {group_by_class(t) for t in ids}:
        assert len({owner[t] for t in ids if group_by_class(t) == cls}) == 1
    assert sorted(len(s.tests) for s in shards) == [8, 8, 8]


def test_group_keys() -> None:
    assert group_by_class("tests/t.py::TestA::test_x[a::b]") == "tests/t.py::TestA"
    assert group_by_class("tests/t.py::test_x[1]") == "tests/t.py"
    assert group_by_module("tests/t.py::TestA::test_x") == "tests/t.py"


def test_select_shard_returns_that_shards_tests() -> None:
    ids = ["a", "b", "c", "d"]
    union = set().union(*(select_shard(ids, i, 3) for i in range(3)))
    assert union == set(ids)


@pytest.mark.parametrize(("index", "count"), [(3, 3), (-1, 3)])
def test_select_shard_rejects_an_index_outside_the_count(index: int, count: int) -> None:
    with pytest.raises(ValueError, match=r"shard index .* is outside 0\.\.2"):
        select_shard(["a"], index, count)


def test_a_count_below_one_is_rejected() -> None:
    with pytest.raises(ValueError, match="shard count must be >= 1, got 0"):
        partition_by_duration(["a"], 0)


def test_timed_tests_are_placed_first_and_never_timed_ones_fill_the_lightest_shards() -> None:
    timed = {"big": 10.0, "mid": 5.0, "small": 1.0}
    new = [f"new_{i}" for i in range(8)]  # estimated at the median, 5 s
    shards = partition_by_duration([*timed, *new], 4, timed)
    assert [tuple(t for t in s.tests if t in timed) for s in shards] == [
        ("big",),
        ("mid",),
        ("small",),
        (),
    ]
    assert [s.estimated for s in shards] == [15.0, 15.0, 11.0, 15.0]


@given(suites(), st.sampled_from([group_by_class, group_by_module]))
def test_groups_are_never_split_and_every_test_is_placed_once(
    suite: tuple[list[str], dict[str, float], int], group_of: Callable[[str], str]
) -> None:
    ids, durations, count = suite
    shards = partition_by_duration(ids, count, durations, group_of=group_of)
    owner = {t: s.index for s in shards for t in s.tests}
    assert sorted(owner) == sorted(ids)
    assert sum(len(s.tests) for s in shards) == len(ids)
    for test in ids:
        mates = [t for t in ids if group_of(t) == group_of(test)]
        assert {owner[t] for t in mates} == {owner[test]}
