"""SortedSet interfaces: basic, range, rank, operations, lex.

Order is ascending by (score, member); rank ranges are inclusive like list ranges.
"""

from __future__ import annotations

import asyncio
import math

import hypothesis.strategies as st
import pytest
from hypothesis.stateful import invariant, rule

from tck_py.interfaces._support import (
    InterfaceSuite,
    ProviderFactory,
    ProviderMachine,
    run_machine,
    unique,
)


def _pairs(items: object) -> list[tuple[str, float]]:
    return [(m, float(s)) for m, s in items]  # type: ignore[attr-defined]


class _ZSetMachine(ProviderMachine):
    def __init__(self) -> None:
        super().__init__()
        self.key = unique("z")
        self.model: dict[str, float] = {}

    members = st.sampled_from(["a", "b", "c", "d"])

    @rule(member=members, score=st.integers(-3, 3).map(float))
    def add(self, member: str, score: float) -> None:
        assert self.call(self.provider.zset_add(self.key, member, score)) is (
            member not in self.model
        )
        self.model[member] = score

    @rule(member=members)
    def remove(self, member: str) -> None:
        removed = self.call(self.provider.zset_remove(self.key, member))
        assert removed == int(self.model.pop(member, None) is not None)

    @invariant()
    def scores(self) -> None:
        for member in ("a", "b", "c", "d"):
            assert self.call(self.provider.zset_score(self.key, member)) == self.model.get(member)


class BaseTestSortedSetBasicInterface(InterfaceSuite):
    """sortedset_basic: zset_add, zset_remove, zset_score."""

    interface = "sortedset_basic"

    async def test_add_and_rescore(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("z")
        assert await p.zset_add(key, "a", 1.5) is True
        assert await p.zset_add(key, "a", -2) is False
        assert await p.zset_score(key, "a") == -2.0
        assert await p.zset_score(key, "b") is None

    async def test_remove_counts(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("z")
        await p.zset_add(key, "a", 1)
        await p.zset_add(key, "b", 2)
        assert await p.zset_remove(key, "a", "zzz") == 1
        assert await p.zset_score(key, "a") is None
        assert await p.zset_score(key, "b") == 2.0

    @pytest.mark.parametrize("score", [0.0, -1e300, 1e300, 0.1 + 0.2, math.inf, -math.inf])
    async def test_scores_round_trip(self, provider_factory: ProviderFactory, score: float) -> None:
        p, key = await provider_factory(), unique("z")
        await p.zset_add(key, "m", score)
        assert await p.zset_score(key, "m") == score

    async def test_nan_is_rejected(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("z")
        with pytest.raises(ValueError):
            await p.zset_add(key, "m", math.nan)
        assert await p.zset_score(key, "m") is None

    async def test_concurrent_adds(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("z")
        new = await asyncio.gather(*(p.zset_add(key, f"m{i % 10}", i) for i in range(30)))
        assert sum(new) == 10

    async def test_matches_a_dict_model(self, provider_factory: ProviderFactory) -> None:
        await run_machine(_ZSetMachine, provider_factory)


class BaseTestSortedSetRangeInterface(InterfaceSuite):
    """sortedset_range: zset_range (by rank, inclusive), zset_range_by_score."""

    interface = "sortedset_range"

    async def _zset(self, p: object) -> str:
        key = unique("z")
        for member, score in [("c", 3), ("a", 1), ("bb", 2), ("b", 2), ("d", 4)]:
            await p.zset_add(key, member, score)  # type: ignore[attr-defined]
        return key

    async def test_range_by_rank(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        key = await self._zset(p)
        assert _pairs(await p.zset_range(key, 0, -1)) == [
            ("a", 1.0),
            ("b", 2.0),
            ("bb", 2.0),
            ("c", 3.0),
            ("d", 4.0),
        ]
        assert _pairs(await p.zset_range(key, 1, 2)) == [("b", 2.0), ("bb", 2.0)]
        assert _pairs(await p.zset_range(key, -2, 100)) == [("c", 3.0), ("d", 4.0)]
        assert _pairs(await p.zset_range(key, 3, 1)) == []
        assert _pairs(await p.zset_range(unique("z"), 0, -1)) == []

    async def test_range_by_score_is_inclusive(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        key = await self._zset(p)
        got = _pairs(await p.zset_range_by_score(key, 2, 3))
        assert got == [("b", 2.0), ("bb", 2.0), ("c", 3.0)]
        assert _pairs(await p.zset_range_by_score(key, 2, 3, 2)) == [("b", 2.0), ("bb", 2.0)]
        assert _pairs(await p.zset_range_by_score(key, -math.inf, 1)) == [("a", 1.0)]
        assert _pairs(await p.zset_range_by_score(key, 5, 9)) == []


class BaseTestSortedSetRankInterface(InterfaceSuite):
    """sortedset_rank: zset_rank, zset_reverse_rank."""

    interface = "sortedset_rank"

    async def test_ranks(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("z")
        for member, score in [("low", 1), ("tie-b", 5), ("tie-a", 5), ("high", 9)]:
            await p.zset_add(key, member, score)
        ranks = [await p.zset_rank(key, m) for m in ("low", "tie-a", "tie-b", "high")]
        assert ranks == [0, 1, 2, 3]
        reverse = [await p.zset_reverse_rank(key, m) for m in ("low", "tie-a", "tie-b", "high")]
        assert reverse == [3, 2, 1, 0]

    async def test_missing_member_has_no_rank(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("z")
        await p.zset_add(key, "a", 1)
        assert await p.zset_rank(key, "b") is None
        assert await p.zset_reverse_rank(key, "b") is None
        assert await p.zset_rank(unique("z"), "a") is None

    async def test_rank_follows_rescoring(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("z")
        await p.zset_add(key, "a", 1)
        await p.zset_add(key, "b", 2)
        await p.zset_add(key, "a", 3)
        assert await p.zset_rank(key, "a") == 1


class BaseTestSortedSetOperationsInterface(InterfaceSuite):
    """sortedset_operations: zset_union, zset_intersection with sum|min|max."""

    interface = "sortedset_operations"

    async def _two(self, p: object) -> tuple[str, str]:
        a, b = unique("z"), unique("z")
        for member, score in [("x", 1), ("y", 2)]:
            await p.zset_add(a, member, score)  # type: ignore[attr-defined]
        for member, score in [("y", 10), ("z", 3)]:
            await p.zset_add(b, member, score)  # type: ignore[attr-defined]
        return a, b

    async def test_union(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        a, b = await self._two(p)
        assert _pairs(await p.zset_union(a, b)) == [("x", 1.0), ("z", 3.0), ("y", 12.0)]
        assert _pairs(await p.zset_union(a, b, aggregate="min")) == [
            ("x", 1.0),
            ("y", 2.0),
            ("z", 3.0),
        ]
        assert _pairs(await p.zset_union(a, unique("z"))) == [("x", 1.0), ("y", 2.0)]

    async def test_intersection(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        a, b = await self._two(p)
        assert _pairs(await p.zset_intersection(a, b)) == [("y", 12.0)]
        assert _pairs(await p.zset_intersection(a, b, aggregate="max")) == [("y", 10.0)]
        assert _pairs(await p.zset_intersection(a, unique("z"))) == []

    async def test_unknown_aggregate_is_rejected(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        a, b = await self._two(p)
        with pytest.raises(ValueError):
            await p.zset_union(a, b, aggregate="avg")

    async def test_sources_are_unchanged(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        a, b = await self._two(p)
        await p.zset_union(a, b)
        assert await p.zset_score(a, "y") == 2.0


class BaseTestSortedSetLexInterface(InterfaceSuite):
    """sortedset_lex: zset_range_by_lex among equal scores, by code point, inclusive."""

    interface = "sortedset_lex"

    async def _zset(self, p: object) -> str:
        key = unique("z")
        for member in ["banana", "apple", "Cherry", "cherry", "app", "éclair"]:
            await p.zset_add(key, member, 0)  # type: ignore[attr-defined]
        return key

    async def test_unbounded_is_code_point_order(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        key = await self._zset(p)
        assert list(await p.zset_range_by_lex(key, None, None)) == [
            "Cherry",
            "app",
            "apple",
            "banana",
            "cherry",
            "éclair",
        ]

    async def test_bounds_are_inclusive(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        key = await self._zset(p)
        assert list(await p.zset_range_by_lex(key, "app", "banana")) == ["app", "apple", "banana"]
        assert list(await p.zset_range_by_lex(key, "b", None)) == ["banana", "cherry", "éclair"]
        assert list(await p.zset_range_by_lex(key, None, "apple")) == ["Cherry", "app", "apple"]
        assert list(await p.zset_range_by_lex(key, "x", "y")) == []
