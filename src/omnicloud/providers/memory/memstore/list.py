"""MemStore's list family (list_: Redis-style lists, blocking pops)."""

from __future__ import annotations

from omnicloud.providers.memory.memstore.common import inclusive, tick, wait_for


class ListFamily:
    _lists: dict[str, list[str]]

    def _init_list(self) -> None:
        self._lists = {}

    def _pop(self, key: str, index: int) -> str | None:
        items = self._lists.get(key)
        if not items:
            return None
        value = items.pop(index)
        if not items:
            del self._lists[key]
        return value

    async def list_push_left(self, key: str, *values: str) -> int:
        if not values:
            raise ValueError("list_push_left needs at least one value")
        await tick()
        items = self._lists.setdefault(key, [])
        items[:0] = reversed(values)
        return len(items)

    async def list_push_right(self, key: str, *values: str) -> int:
        if not values:
            raise ValueError("list_push_right needs at least one value")
        await tick()
        items = self._lists.setdefault(key, [])
        items.extend(values)
        return len(items)

    async def list_pop_left(self, key: str) -> str | None:
        await tick()
        return self._pop(key, 0)

    async def list_pop_right(self, key: str) -> str | None:
        await tick()
        return self._pop(key, -1)

    async def list_length(self, key: str) -> int:
        await tick()
        return len(self._lists.get(key, []))

    async def list_get(self, key: str, index: int) -> str | None:
        await tick()
        items = self._lists.get(key, [])
        return items[index] if -len(items) <= index < len(items) else None

    async def list_set(self, key: str, index: int, value: str) -> None:
        await tick()
        items = self._lists.get(key, [])
        if not -len(items) <= index < len(items):
            raise IndexError(f"index {index} out of range for list {key!r} of {len(items)}")
        items[index] = value

    async def list_insert(
        self, key: str, pivot: str, value: str, before: bool = True
    ) -> int | None:
        await tick()
        items = self._lists.get(key, [])
        if pivot not in items:
            return None
        index = items.index(pivot)
        items.insert(index if before else index + 1, value)
        return len(items)

    async def list_remove(self, key: str, value: str, count: int = 0) -> int:
        await tick()
        items = self._lists.get(key, [])
        order = range(len(items) - 1, -1, -1) if count < 0 else range(len(items))
        hits = [i for i in order if items[i] == value][: abs(count) or None]
        for index in sorted(hits, reverse=True):
            del items[index]
        if key in self._lists and not items:
            del self._lists[key]
        return len(hits)

    async def list_range(self, key: str, start: int, stop: int) -> list[str]:
        await tick()
        items = self._lists.get(key, [])
        return [items[i] for i in inclusive(len(items), start, stop)]

    async def list_trim(self, key: str, start: int, stop: int) -> None:
        await tick()
        items = self._lists.get(key, [])
        kept = [items[i] for i in inclusive(len(items), start, stop)]
        if kept:
            self._lists[key] = kept
        else:
            self._lists.pop(key, None)

    async def list_blocking_pop_left(self, key: str, timeout: float) -> str | None:
        await tick()
        result: str | None = await wait_for(lambda: self._pop(key, 0), timeout)
        return result

    async def list_blocking_pop_right(self, key: str, timeout: float) -> str | None:
        await tick()
        result: str | None = await wait_for(lambda: self._pop(key, -1), timeout)
        return result
