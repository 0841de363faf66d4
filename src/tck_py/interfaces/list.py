"""List interfaces: basic, indexing, range, blocking.

Ranges are INCLUSIVE (``list_range(key, 0, -1)`` is the whole list), as in every list store
Prism names; negative indexes count from the end.
"""

from __future__ import annotations

import asyncio
from collections import deque

import hypothesis.strategies as st
import pytest
from hypothesis.stateful import invariant, rule

from tck_py.interfaces._support import (
    InterfaceSuite,
    ProviderFactory,
    ProviderMachine,
    drain,
    run_machine,
    unique,
)

WAIT = 2.0


class _ListMachine(ProviderMachine):
    def __init__(self) -> None:
        super().__init__()
        self.key = unique("l")
        self.model: deque[str] = deque()

    @rule(values=st.lists(st.text(max_size=3), min_size=1, max_size=3))
    def push_left(self, values: list[str]) -> None:
        self.model.extendleft(values)
        assert self.call(self.provider.list_push_left(self.key, *values)) == len(self.model)

    @rule(values=st.lists(st.text(max_size=3), min_size=1, max_size=3))
    def push_right(self, values: list[str]) -> None:
        self.model.extend(values)
        assert self.call(self.provider.list_push_right(self.key, *values)) == len(self.model)

    @rule()
    def pop_left(self) -> None:
        expected = self.model.popleft() if self.model else None
        assert self.call(self.provider.list_pop_left(self.key)) == expected

    @rule()
    def pop_right(self) -> None:
        expected = self.model.pop() if self.model else None
        assert self.call(self.provider.list_pop_right(self.key)) == expected

    @invariant()
    def length(self) -> None:
        assert self.call(self.provider.list_length(self.key)) == len(self.model)


async def _contents(p: object, key: str) -> list[str]:
    return await drain(lambda: p.list_pop_left(key))  # type: ignore[attr-defined]


class BaseTestListBasicInterface(InterfaceSuite):
    """list_basic: push/pop at both ends, length."""

    interface = "list_basic"

    async def test_push_right_then_pop_left_is_fifo(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique("l")
        assert await p.list_push_right(key, "a", "b") == 2
        assert await p.list_push_right(key, "c") == 3
        assert await _contents(p, key) == ["a", "b", "c"]

    async def test_push_left_pushes_each_value_in_turn(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique("l")
        await p.list_push_left(key, "a", "b", "c")
        assert await _contents(p, key) == ["c", "b", "a"]

    async def test_pops_from_both_ends(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("l")
        await p.list_push_right(key, "1", "2", "3")
        assert await p.list_pop_right(key) == "3"
        assert await p.list_pop_left(key) == "1"
        assert await p.list_length(key) == 1

    async def test_empty_and_missing_lists(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("l")
        assert await p.list_pop_left(key) is None
        assert await p.list_pop_right(key) is None
        assert await p.list_length(key) == 0
        await p.list_push_right(key, "only")
        await p.list_pop_left(key)
        assert await p.list_length(key) == 0
        assert await p.list_pop_right(key) is None

    async def test_duplicates_and_empty_strings_are_kept(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique("l")
        await p.list_push_right(key, "", "x", "x", "ü")
        assert await _contents(p, key) == ["", "x", "x", "ü"]

    async def test_pushing_nothing_is_rejected(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        with pytest.raises(ValueError):
            await p.list_push_right(unique("l"))

    async def test_concurrent_pushes_and_pops(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("l")
        await asyncio.gather(*(p.list_push_right(key, f"{i}") for i in range(30)))
        assert await p.list_length(key) == 30
        popped = await asyncio.gather(*(p.list_pop_left(key) for _ in range(40)))
        values = [v for v in popped if v is not None]
        assert sorted(values, key=int) == [f"{i}" for i in range(30)]
        assert popped.count(None) == 10

    async def test_matches_a_deque_model(self, provider_factory: ProviderFactory) -> None:
        await run_machine(_ListMachine, provider_factory)


class BaseTestListIndexingInterface(InterfaceSuite):
    """list_indexing: list_get, list_set, list_insert, list_remove."""

    interface = "list_indexing"

    async def test_get_by_index(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("l")
        await p.list_push_right(key, "a", "b", "c")
        assert [await p.list_get(key, i) for i in (0, 2, -1, -3)] == ["a", "c", "c", "a"]
        assert await p.list_get(key, 3) is None
        assert await p.list_get(key, -4) is None
        assert await p.list_get(unique("l"), 0) is None

    async def test_set_by_index(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("l")
        await p.list_push_right(key, "a", "b", "c")
        await p.list_set(key, 1, "B")
        await p.list_set(key, -1, "C")
        assert await _contents(p, key) == ["a", "B", "C"]

    @pytest.mark.parametrize("index", [3, -4])
    async def test_set_out_of_range_is_an_index_error(
        self, provider_factory: ProviderFactory, index: int
    ) -> None:
        p, key = await provider_factory(), unique("l")
        await p.list_push_right(key, "a", "b", "c")
        with pytest.raises(IndexError):
            await p.list_set(key, index, "x")
        with pytest.raises(IndexError):
            await p.list_set(unique("missing"), 0, "x")
        assert await p.list_length(key) == 3

    async def test_insert_next_to_the_first_pivot(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("l")
        await p.list_push_right(key, "a", "x", "b", "x")
        assert await p.list_insert(key, "x", "before") == 5
        assert await p.list_insert(key, "x", "after", before=False) == 6
        assert await p.list_insert(key, "nope", "y") is None
        assert await _contents(p, key) == ["a", "before", "x", "after", "b", "x"]

    async def test_remove_by_count(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        cases = {2: ["b", "c", "a"], -1: ["a", "b", "a", "c"], 0: ["b", "c"]}
        for count, expected in cases.items():
            key = unique("l")
            await p.list_push_right(key, "a", "b", "a", "c", "a")
            removed = await p.list_remove(key, "a", count)
            assert removed == (abs(count) or 3)
            assert await _contents(p, key) == expected
        assert await p.list_remove(unique("l"), "a") == 0


class BaseTestListRangeInterface(InterfaceSuite):
    """list_range: inclusive ranges and trims."""

    interface = "list_range"

    async def _list(self, p: object) -> str:
        key = unique("l")
        await p.list_push_right(key, *[f"{i}" for i in range(6)])  # type: ignore[attr-defined]
        return key

    async def test_ranges_are_inclusive(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        key = await self._list(p)
        assert list(await p.list_range(key, 1, 3)) == ["1", "2", "3"]
        assert list(await p.list_range(key, 0, -1)) == [f"{i}" for i in range(6)]
        assert list(await p.list_range(key, -2, -1)) == ["4", "5"]
        assert list(await p.list_range(key, 4, 100)) == ["4", "5"]
        assert list(await p.list_range(key, -100, 0)) == ["0"]
        assert list(await p.list_range(key, 3, 1)) == []
        assert list(await p.list_range(key, 6, 9)) == []
        assert list(await p.list_range(unique("l"), 0, -1)) == []

    async def test_trim_keeps_the_range(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        key = await self._list(p)
        await p.list_trim(key, 1, -2)
        assert list(await p.list_range(key, 0, -1)) == ["1", "2", "3", "4"]

    async def test_trim_to_nothing_empties_the_list(
        self, provider_factory: ProviderFactory
    ) -> None:
        p = await provider_factory()
        key = await self._list(p)
        await p.list_trim(key, 5, 2)
        assert list(await p.list_range(key, 0, -1)) == []
        assert await p.list_length(key) == 0


class BaseTestListBlockingInterface(InterfaceSuite):
    """list_blocking: pops that wait up to a timeout."""

    interface = "list_blocking"

    async def test_returns_at_once_when_not_empty(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("l")
        await p.list_push_right(key, "a", "b")
        assert await asyncio.wait_for(p.list_blocking_pop_left(key, WAIT), WAIT) == "a"
        assert await asyncio.wait_for(p.list_blocking_pop_right(key, WAIT), WAIT) == "b"

    async def test_waits_for_a_push(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("l")
        waiting = asyncio.ensure_future(p.list_blocking_pop_left(key, WAIT))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        await p.list_push_right(key, "late")
        assert await asyncio.wait_for(waiting, WAIT + 5) == "late"
        assert await p.list_length(key) == 0

    async def test_times_out_with_none(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique("l")
        assert await asyncio.wait_for(p.list_blocking_pop_right(key, 0.2), WAIT + 5) is None

    async def test_each_pushed_value_goes_to_one_waiter(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique("l")
        waiters = [asyncio.ensure_future(p.list_blocking_pop_left(key, WAIT)) for _ in range(3)]
        await asyncio.sleep(0.05)
        await p.list_push_right(key, "x", "y")
        results = await asyncio.wait_for(asyncio.gather(*waiters), WAIT + 5)
        assert sorted(r for r in results if r is not None) == ["x", "y"]
        assert results.count(None) == 1
