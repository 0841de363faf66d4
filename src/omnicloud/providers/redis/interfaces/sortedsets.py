"""sortedset_basic, _range, _rank, _operations and _lex on Redis sorted sets.

Redis orders members by (score, member bytes), which is the interfaces' order (UTF-8 byte order
is code point order); ``ZUNION``/``ZINTER`` combine scores on the server.
"""

from __future__ import annotations

import math

from omnicloud.providers.redis.interfaces._core import RedisCore, must_text

KIND = "zset"
_AGGREGATES = ("sum", "min", "max")


def _pairs(reply: list[tuple[bytes, float]]) -> list[tuple[str, float]]:
    return [(must_text(member), float(score)) for member, score in reply]


def _lex_bound(value: str | None, unbounded: str) -> str:
    return unbounded if value is None else "[" + value


class SortedSetMixin(RedisCore):
    """Members with float scores."""

    def _zset(self, key: str) -> str:
        return self._key(KIND, key)

    # sortedset_basic
    async def zset_add(self, key: str, member: str, score: float) -> bool:
        if math.isnan(score):
            raise ValueError("score must not be NaN")
        return bool(await self._client.zadd(self._zset(key), {member: score}))

    async def zset_remove(self, key: str, *members: str) -> int:
        if not members:
            return 0
        return int(await self._client.zrem(self._zset(key), *members))

    async def zset_score(self, key: str, member: str) -> float | None:
        score = await self._client.zscore(self._zset(key), member)
        return None if score is None else float(score)

    # sortedset_range
    async def zset_range(self, key: str, start: int, stop: int) -> list[tuple[str, float]]:
        return _pairs(await self._client.zrange(self._zset(key), start, stop, withscores=True))

    async def zset_range_by_score(
        self, key: str, min_score: float, max_score: float, limit: int | None = None
    ) -> list[tuple[str, float]]:
        if limit is not None and limit <= 0:
            return []
        paging = {} if limit is None else {"start": 0, "num": limit}
        reply = await self._client.zrangebyscore(
            self._zset(key), min_score, max_score, withscores=True, **paging
        )
        return _pairs(reply)

    # sortedset_rank
    async def zset_rank(self, key: str, member: str) -> int | None:
        rank = await self._client.zrank(self._zset(key), member)
        return None if rank is None else int(rank)

    async def zset_reverse_rank(self, key: str, member: str) -> int | None:
        rank = await self._client.zrevrank(self._zset(key), member)
        return None if rank is None else int(rank)

    # sortedset_operations
    def _combine_args(self, keys: tuple[str, ...], aggregate: str) -> list[str]:
        if not keys:
            raise ValueError("at least one key is needed")
        if aggregate not in _AGGREGATES:
            raise ValueError(f"aggregate must be one of {list(_AGGREGATES)}, got {aggregate!r}")
        return [self._zset(k) for k in keys]

    async def zset_union(self, *keys: str, aggregate: str = "sum") -> list[tuple[str, float]]:
        names = self._combine_args(keys, aggregate)
        return _pairs(await self._client.zunion(names, aggregate=aggregate, withscores=True))

    async def zset_intersection(
        self, *keys: str, aggregate: str = "sum"
    ) -> list[tuple[str, float]]:
        names = self._combine_args(keys, aggregate)
        return _pairs(await self._client.zinter(names, aggregate=aggregate, withscores=True))

    # sortedset_lex
    async def zset_range_by_lex(self, key: str, lower: str | None, upper: str | None) -> list[str]:
        reply = await self._client.zrangebylex(
            self._zset(key), _lex_bound(lower, "-"), _lex_bound(upper, "+")
        )
        return [must_text(m) for m in reply]
