"""MemStore's set family (set_: unordered members, set algebra)."""

from __future__ import annotations

import random

from omnicloud.providers.memory.memstore.common import tick


class SetFamily:
    _sets: dict[str, set[str]]
    _random: random.Random

    def _init_set(self) -> None:
        self._sets, self._random = {}, random.Random()

    def _members(self, key: str) -> set[str]:
        return self._sets.get(key, set())

    async def set_add(self, key: str, *members: str) -> int:
        if not members:
            raise ValueError("set_add needs at least one member")
        await tick()
        current = self._sets.setdefault(key, set())
        before = len(current)
        current.update(members)
        return len(current) - before

    async def set_remove(self, key: str, *members: str) -> int:
        await tick()
        current = self._members(key)
        removed = len(current & set(members))
        current.difference_update(members)
        if not current:
            self._sets.pop(key, None)
        return removed

    async def set_contains(self, key: str, member: str) -> bool:
        await tick()
        return member in self._members(key)

    async def set_members(self, key: str) -> set[str]:
        await tick()
        return set(self._members(key))

    async def set_union(self, *keys: str) -> set[str]:
        await tick()
        return set().union(*(self._members(k) for k in keys))

    async def set_intersection(self, *keys: str) -> set[str]:
        if not keys:
            raise ValueError("set_intersection needs at least one key")
        await tick()
        return set(self._members(keys[0])).intersection(*(self._members(k) for k in keys[1:]))

    async def set_difference(self, key: str, *others: str) -> set[str]:
        await tick()
        return set(self._members(key)).difference(*(self._members(k) for k in others))

    async def set_size(self, key: str) -> int:
        await tick()
        return len(self._members(key))

    async def set_is_member(self, key: str, member: str) -> bool:
        return await self.set_contains(key, member)

    async def set_random_member(self, key: str) -> str | None:
        await tick()
        members = sorted(self._members(key))
        return self._random.choice(members) if members else None

    async def set_pop_random(self, key: str) -> str | None:
        await tick()
        members = sorted(self._members(key))
        if not members:
            return None
        chosen = self._random.choice(members)
        self._sets[key].discard(chosen)
        if not self._sets[key]:
            del self._sets[key]
        return chosen
