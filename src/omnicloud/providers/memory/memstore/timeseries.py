"""MemStore's time-series family (ts_: points, ranges, aggregation, downsampling)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence

from omnicloud.providers.memory.memstore.common import positive, tick


def _aggregate(
    points: Iterable[tuple[float, float]], bucket: float, function: str
) -> list[tuple[float, float]]:
    functions: dict[str, Callable[[list[float]], float]] = {
        "avg": lambda v: sum(v) / len(v),
        "sum": sum,
        "min": min,
        "max": max,
        "count": lambda v: float(len(v)),
        "first": lambda v: v[0],
        "last": lambda v: v[-1],
    }
    if function not in functions:
        raise ValueError(f"function must be one of {sorted(functions)}, got {function!r}")
    positive("bucket", bucket)
    buckets: dict[float, list[float]] = {}
    for timestamp, value in sorted(points):
        buckets.setdefault(math.floor(timestamp / bucket) * bucket, []).append(value)
    return [(start, float(functions[function](values))) for start, values in buckets.items()]


class TimeSeriesFamily:
    _series: dict[str, dict[float, float]]
    _ts_retention: dict[str, float | None]

    def _init_timeseries(self) -> None:
        self._series, self._ts_retention = {}, {}

    def _points(self, series: str) -> list[tuple[float, float]]:
        return sorted(self._series.get(series, {}).items())

    async def ts_insert(self, series: str, timestamp: float, value: float) -> None:
        if math.isnan(timestamp):
            raise ValueError("timestamp must not be NaN")
        await tick()
        self._series.setdefault(series, {})[float(timestamp)] = float(value)

    async def ts_query(self, series: str, start: float, end: float) -> list[tuple[float, float]]:
        await tick()
        return [(t, v) for t, v in self._points(series) if start <= t <= end]

    async def ts_aggregate(
        self, series: str, start: float, end: float, bucket: float, function: str
    ) -> list[tuple[float, float]]:
        await tick()
        return _aggregate(
            [(t, v) for t, v in self._points(series) if start <= t <= end], bucket, function
        )

    async def ts_rollup(self, series: str, destination: str, bucket: float, function: str) -> int:
        if destination == series:
            raise ValueError("destination must differ from the source series")
        await tick()
        points = _aggregate(self._points(series), bucket, function)
        self._series.setdefault(destination, {}).update(points)
        return len(points)

    async def ts_set_retention(self, series: str, max_age: float | None) -> None:
        positive("max_age", max_age)
        await tick()
        self._ts_retention[series] = max_age

    async def ts_get_retention(self, series: str) -> float | None:
        await tick()
        return self._ts_retention.get(series)

    async def ts_compact(self, series: str, now: float | None = None) -> int:
        await tick()
        max_age = self._ts_retention.get(series)
        points = self._series.get(series, {})
        if max_age is None:
            return 0
        oldest = (time.time() if now is None else now) - max_age
        old = [t for t in points if t < oldest]
        for timestamp in old:
            del points[timestamp]
        return len(old)

    async def ts_interpolate_linear(
        self, series: str, timestamps: Sequence[float]
    ) -> list[float | None]:
        await tick()
        points = self._points(series)
        return [_linear(points, t) for t in timestamps]

    async def ts_interpolate_step(
        self, series: str, timestamps: Sequence[float]
    ) -> list[float | None]:
        await tick()
        points = self._points(series)
        return [next((v for pt, v in reversed(points) if pt <= t), None) for t in timestamps]


def _linear(points: list[tuple[float, float]], t: float) -> float | None:
    before = next(((pt, v) for pt, v in reversed(points) if pt <= t), None)
    after = next(((pt, v) for pt, v in points if pt >= t), None)
    if before is None or after is None:
        return None
    if after[0] == before[0]:
        return before[1]
    return before[1] + (after[1] - before[1]) * (t - before[0]) / (after[0] - before[0])
