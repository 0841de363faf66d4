"""MemStore's sorted-set family (zset_: scored members, ranges, ranks)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from omnicloud.providers.memory.memstore.common import inclusive, tick

_AGGREGATES: dict[str, Callable[[Iterable[float]], float]] = {"sum": sum, "min": min, "max": max}


class SortedSetFamily:
    _zsets: dict[str, dict[str, float]]

    def _init_sortedset(self) -> None:
        self._zsets = {}

    def _ordered(self, key: str) -> list[tuple[str, float]]:
        return sorted(self._zsets.get(key, {}).items(), key=lambda item: (item[1], item[0]))

    async def zset_add(self, key: str, member: str, score: float) -> bool:
        if math.isnan(score):
            raise ValueError("score must not be NaN")
        await tick()
        scores = self._zsets.setdefault(key, {})
        new = member not in scores
        scores[member] = float(score)
        return new

    async def zset_remove(self, key: str, *members: str) -> int:
        await tick()
        scores = self._zsets.get(key, {})
        removed = sum(scores.pop(m, None) is not None for m in set(members))
        if key in self._zsets and not scores:
            del self._zsets[key]
        return removed

    async def zset_score(self, key: str, member: str) -> float | None:
        await tick()
        return self._zsets.get(key, {}).get(member)

    async def zset_range(self, key: str, start: int, stop: int) -> list[tuple[str, float]]:
        await tick()
        ordered = self._ordered(key)
        return [ordered[i] for i in inclusive(len(ordered), start, stop)]

    async def zset_range_by_score(
        self, key: str, min_score: float, max_score: float, limit: int | None = None
    ) -> list[tuple[str, float]]:
        await tick()
        hits = [(m, s) for m, s in self._ordered(key) if min_score <= s <= max_score]
        return hits if limit is None else hits[:limit]

    async def zset_rank(self, key: str, member: str) -> int | None:
        await tick()
        members = [m for m, _ in self._ordered(key)]
        return members.index(member) if member in members else None

    async def zset_reverse_rank(self, key: str, member: str) -> int | None:
        rank = await self.zset_rank(key, member)
        return None if rank is None else len(self._zsets[key]) - 1 - rank

    async def _combine(
        self, keys: Sequence[str], aggregate: str, keep: Callable[[str], bool]
    ) -> list[tuple[str, float]]:
        if not keys:
            raise ValueError("at least one key is needed")
        combine = _AGGREGATES.get(aggregate)
        if combine is None:
            raise ValueError(f"aggregate must be one of {sorted(_AGGREGATES)}, got {aggregate!r}")
        await tick()
        sources = [self._zsets.get(k, {}) for k in keys]
        members = {m for scores in sources for m in scores if keep(m)}
        out = {m: float(combine(s[m] for s in sources if m in s)) for m in members}
        return sorted(out.items(), key=lambda item: (item[1], item[0]))

    async def zset_union(self, *keys: str, aggregate: str = "sum") -> list[tuple[str, float]]:
        return await self._combine(keys, aggregate, lambda m: True)

    async def zset_intersection(
        self, *keys: str, aggregate: str = "sum"
    ) -> list[tuple[str, float]]:
        return await self._combine(
            keys, aggregate, lambda m: all(m in self._zsets.get(k, {}) for k in keys)
        )

    async def zset_range_by_lex(self, key: str, lower: str | None, upper: str | None) -> list[str]:
        await tick()
        return [
            m
            for m, _ in self._ordered(key)
            if (lower is None or m >= lower) and (upper is None or m <= upper)
        ]
