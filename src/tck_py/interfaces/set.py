"""Set interfaces: basic, operations, cardinality, random."""

from __future__ import annotations

import asyncio

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

MEMBERS = st.sampled_from(["a", "b", "c", "A", "ab", ""])


class _SetMachine(ProviderMachine):
    def __init__(self) -> None:
        super().__init__()
        self.key = unique("set")
        self.model: set[str] = set()

    @rule(members=st.lists(MEMBERS, min_size=1, max_size=3))
    def add(self, members: list[str]) -> None:
        added = self.call(self.provider.set_add(self.key, *members))
        assert added == len(set(members) - self.model)
        self.model.update(members)

    @rule(members=st.lists(MEMBERS, min_size=1, max_size=3))
    def remove(self, members: list[str]) -> None:
        removed = self.call(self.provider.set_remove(self.key, *members))
        assert removed == len(set(members) & self.model)
        self.model.difference_update(members)

    @invariant()
    def same_members(self) -> None:
        assert set(self.call(self.provider.set_members(self.key))) == self.model


class BaseTestSetBasicInterface(InterfaceSuite):
    """set_basic: set_add, set_remove, set_contains, set_members."""

    interface = "set_basic"

    async def test_add_counts_only_new_members(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("set")
        assert await p.set_add(key, "a", "b", "a") == 2
        assert await p.set_add(key, "b", "c") == 1
        assert set(await p.set_members(key)) == {"a", "b", "c"}

    async def test_remove_counts_only_present_members(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique("set")
        await p.set_add(key, "a", "b")
        assert await p.set_remove(key, "a", "zzz") == 1
        assert set(await p.set_members(key)) == {"b"}
        assert await p.set_remove(key, "b") == 1
        assert set(await p.set_members(key)) == set()

    async def test_contains_is_exact(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("set")
        await p.set_add(key, "Member", "ü")
        assert await p.set_contains(key, "Member") is True
        assert await p.set_contains(key, "member") is False
        assert await p.set_contains(key, "Mem") is False
        assert await p.set_contains(key, "ü") is True
        assert await p.set_contains(unique("set"), "Member") is False

    async def test_members_is_a_copy(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("set")
        await p.set_add(key, "a")
        members = await p.set_members(key)
        members.add("intruder")
        assert set(await p.set_members(key)) == {"a"}

    async def test_sets_are_isolated(self, provider_factory: ProviderFactory) -> None:
        p, a, b = await provider_factory(), unique("set"), unique("set")
        await p.set_add(a, "x")
        assert set(await p.set_members(b)) == set()

    async def test_adding_nothing_is_rejected(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        with pytest.raises(ValueError):
            await p.set_add(unique("set"))

    async def test_concurrent_adds_lose_nothing(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("set")
        added = await asyncio.gather(*(p.set_add(key, f"m{i % 25}") for i in range(50)))
        assert sum(added) == 25
        assert set(await p.set_members(key)) == {f"m{i}" for i in range(25)}

    async def test_matches_a_set_model(self, provider_factory: ProviderFactory) -> None:
        await run_machine(_SetMachine, provider_factory)


class BaseTestSetOperationsInterface(InterfaceSuite):
    """set_operations: set_union, set_intersection, set_difference."""

    interface = "set_operations"

    async def _sets(self, p: object) -> tuple[str, str, str]:
        a, b, missing = unique("set"), unique("set"), unique("missing")
        await p.set_add(a, "1", "2", "3")  # type: ignore[attr-defined]
        await p.set_add(b, "3", "4")  # type: ignore[attr-defined]
        return a, b, missing

    async def test_union(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        a, b, missing = await self._sets(p)
        assert set(await p.set_union(a, b, missing)) == {"1", "2", "3", "4"}
        assert set(await p.set_union(a)) == {"1", "2", "3"}

    async def test_intersection(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        a, b, missing = await self._sets(p)
        assert set(await p.set_intersection(a, b)) == {"3"}
        assert set(await p.set_intersection(a, b, missing)) == set()

    async def test_difference(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        a, b, missing = await self._sets(p)
        assert set(await p.set_difference(a, b)) == {"1", "2"}
        assert set(await p.set_difference(b, a)) == {"4"}
        assert set(await p.set_difference(a, missing)) == {"1", "2", "3"}
        assert set(await p.set_difference(missing, a)) == set()

    async def test_sources_are_unchanged(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        a, b, _ = await self._sets(p)
        (await p.set_union(a, b)).add("x")
        await p.set_intersection(a, b)
        await p.set_difference(a, b)
        assert set(await p.set_members(a)) == {"1", "2", "3"}
        assert set(await p.set_members(b)) == {"3", "4"}


class BaseTestSetCardinalityInterface(InterfaceSuite):
    """set_cardinality: set_size, set_is_member."""

    interface = "set_cardinality"

    async def test_size_tracks_changes(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("set")
        assert await p.set_size(key) == 0
        await p.set_add(key, "a", "b", "b")
        assert await p.set_size(key) == 2
        await p.set_remove(key, "a")
        assert await p.set_size(key) == 1

    async def test_is_member(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("set")
        await p.set_add(key, "a")
        assert await p.set_is_member(key, "a") is True
        assert await p.set_is_member(key, "A") is False
        assert await p.set_is_member(unique("set"), "a") is False


class BaseTestSetRandomInterface(InterfaceSuite):
    """set_random: set_random_member (kept), set_pop_random (removed)."""

    interface = "set_random"

    async def test_random_member_is_a_member_and_stays(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique("set")
        members = {"a", "b", "c", "d"}
        await p.set_add(key, *members)
        seen = {await p.set_random_member(key) for _ in range(200)}
        assert seen == members  # (3/4)**200 chance per member of a false failure
        assert set(await p.set_members(key)) == members

    async def test_pop_removes_what_it_returns(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("set")
        members = {f"m{i}" for i in range(10)}
        await p.set_add(key, *members)
        popped = [await p.set_pop_random(key) for _ in range(10)]
        assert sorted(popped) == sorted(members)
        assert await p.set_pop_random(key) is None
        assert set(await p.set_members(key)) == set()

    async def test_empty_set(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("set")
        assert await p.set_random_member(key) is None
        assert await p.set_pop_random(key) is None

    async def test_concurrent_pops_never_share_a_member(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique("set")
        await p.set_add(key, *(f"m{i}" for i in range(20)))
        popped = await asyncio.gather(*(p.set_pop_random(key) for _ in range(25)))
        values = [v for v in popped if v is not None]
        assert len(values) == len(set(values)) == 20
