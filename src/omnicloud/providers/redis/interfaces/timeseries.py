"""timeseries_basic, _aggregation, _retention and _interpolation on Redis sorted sets.

A series is one sorted set: score = timestamp, member = ``"<timestamp>|<value>"`` (both written
with Python's round-trip ``repr``). Writing a timestamp replaces the point at that exact score in
one Lua script; range queries are ``ZRANGEBYSCORE``; compaction is ``ZREMRANGEBYSCORE``; the
neighbours an interpolation needs are two ``LIMIT 0 1`` range reads per timestamp. Aggregation
buckets the points of one range read in the client: plain Redis has no server-side downsampling
(that is the RedisTimeSeries module, which this backend does not require).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence

from omnicloud.providers.redis.interfaces._core import RedisCore, must_text, positive

# ARGV: timestamp, member
_INSERT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
return redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
"""

_FUNCTIONS: dict[str, Callable[[list[float]], float]] = {
    "avg": lambda v: sum(v) / len(v),
    "sum": lambda v: float(sum(v)),
    "min": min,
    "max": max,
    "count": lambda v: float(len(v)),
    "first": lambda v: v[0],
    "last": lambda v: v[-1],
}


def _insert_args(timestamp: float, value: float) -> list[str]:
    """The score and the member of a point (``repr`` round-trips every float exactly)."""
    return [repr(float(timestamp)), f"{float(timestamp)!r}|{float(value)!r}"]


def _point(member: bytes) -> tuple[float, float]:
    timestamp, _, value = must_text(member).partition("|")
    return float(timestamp), float(value)


def aggregate(
    points: Iterable[tuple[float, float]], bucket: float, function: str
) -> list[tuple[float, float]]:
    """Points grouped in buckets aligned to multiples of ``bucket``, one value per bucket."""
    if function not in _FUNCTIONS:
        raise ValueError(f"function must be one of {sorted(_FUNCTIONS)}, got {function!r}")
    positive("bucket", bucket)
    buckets: dict[float, list[float]] = {}
    for timestamp, value in points:
        buckets.setdefault(math.floor(timestamp / bucket) * bucket, []).append(value)
    return [(start, float(_FUNCTIONS[function](values))) for start, values in buckets.items()]


class TimeSeriesMixin(RedisCore):
    """Float values at float timestamps."""

    def _series(self, series: str) -> str:
        return self._key("ts", series)

    async def _points(self, series: str, start: float, end: float) -> list[tuple[float, float]]:
        members = await self._client.zrangebyscore(self._series(series), start, end)
        return [_point(m) for m in members]

    # timeseries_basic
    async def ts_insert(self, series: str, timestamp: float, value: float) -> None:
        if math.isnan(timestamp):
            raise ValueError("timestamp must not be NaN")
        await self._script(_INSERT)(
            keys=[self._series(series)], args=_insert_args(timestamp, value)
        )

    async def ts_query(self, series: str, start: float, end: float) -> list[tuple[float, float]]:
        return await self._points(series, start, end)

    # timeseries_aggregation
    async def ts_aggregate(
        self, series: str, start: float, end: float, bucket: float, function: str
    ) -> list[tuple[float, float]]:
        aggregate([], bucket, function)  # reject bad arguments before reading
        return aggregate(await self._points(series, start, end), bucket, function)

    async def ts_rollup(self, series: str, destination: str, bucket: float, function: str) -> int:
        if destination == series:
            raise ValueError("destination must differ from the source series")
        points = aggregate(await self._points(series, -math.inf, math.inf), bucket, function)
        insert, key = self._script(_INSERT), self._series(destination)
        async with self._client.pipeline(transaction=True) as pipe:
            for timestamp, value in points:
                await insert(keys=[key], args=_insert_args(timestamp, value), client=pipe)
            await pipe.execute()
        return len(points)

    # timeseries_retention
    def _retention_key(self, series: str) -> str:
        return self._key("ts-retention", series)

    async def ts_set_retention(self, series: str, max_age: float | None) -> None:
        positive("max_age", max_age)
        if max_age is None:
            await self._client.delete(self._retention_key(series))
        else:
            await self._client.set(self._retention_key(series), repr(float(max_age)))

    async def ts_get_retention(self, series: str) -> float | None:
        stored = await self._client.get(self._retention_key(series))
        return None if stored is None else float(stored)

    async def ts_compact(self, series: str, now: float | None = None) -> int:
        max_age = await self.ts_get_retention(series)
        if max_age is None:
            return 0
        oldest = (time.time() if now is None else now) - max_age
        # "(" makes the bound exclusive: points at exactly now - max_age stay
        removed = await self._client.zremrangebyscore(self._series(series), "-inf", f"({oldest!r}")
        return int(removed)

    # timeseries_interpolation
    async def _neighbours(
        self, series: str, t: float
    ) -> tuple[tuple[float, float] | None, tuple[float, float] | None]:
        key = self._series(series)
        before = await self._client.zrevrangebyscore(key, t, "-inf", start=0, num=1)
        after = await self._client.zrangebyscore(key, t, "+inf", start=0, num=1)
        return (
            _point(before[0]) if before else None,
            _point(after[0]) if after else None,
        )

    async def ts_interpolate_linear(
        self, series: str, timestamps: Sequence[float]
    ) -> list[float | None]:
        values: list[float | None] = []
        for t in timestamps:
            before, after = await self._neighbours(series, t)
            values.append(_linear(before, after, t))
        return values

    async def ts_interpolate_step(
        self, series: str, timestamps: Sequence[float]
    ) -> list[float | None]:
        values: list[float | None] = []
        for t in timestamps:
            before, _ = await self._neighbours(series, t)
            values.append(None if before is None else before[1])
        return values


def _linear(
    before: tuple[float, float] | None, after: tuple[float, float] | None, t: float
) -> float | None:
    if before is None or after is None:
        return None
    if after[0] == before[0]:
        return before[1]
    return before[1] + (after[1] - before[1]) * (t - before[0]) / (after[0] - before[0])
