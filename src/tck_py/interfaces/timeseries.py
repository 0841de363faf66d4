"""TimeSeries interfaces: basic, aggregation, retention, interpolation.

Timestamps are seconds (floats); ranges are inclusive. Retention takes an explicit ``now`` so the
suite never depends on the clock of a remote server.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tck_py.interfaces._support import InterfaceSuite, ProviderFactory, unique


def _points(items: object) -> list[tuple[float, float]]:
    return [(float(t), float(v)) for t, v in items]  # type: ignore[attr-defined]


async def _series(p: object, count: int = 10) -> str:
    series = unique("ts")
    for t in range(count):
        await p.ts_insert(series, float(t), float(t))  # type: ignore[attr-defined]
    return series


class BaseTestTimeSeriesBasicInterface(InterfaceSuite):
    """timeseries_basic: ts_insert, ts_query."""

    interface = "timeseries_basic"

    async def test_query_is_inclusive_and_ordered(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("ts")
        for t, v in [(3.0, 30.0), (1.0, 10.0), (2.5, -2.5), (5.0, 0.0)]:
            await p.ts_insert(s, t, v)
        assert _points(await p.ts_query(s, 1.0, 3.0)) == [(1.0, 10.0), (2.5, -2.5), (3.0, 30.0)]
        assert _points(await p.ts_query(s, 6.0, 9.0)) == []

    async def test_same_timestamp_overwrites(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("ts")
        await p.ts_insert(s, 1.0, 1.0)
        await p.ts_insert(s, 1.0, 2.0)
        assert _points(await p.ts_query(s, 0, 10)) == [(1.0, 2.0)]

    async def test_series_are_isolated(self, provider_factory: ProviderFactory) -> None:
        p, a, b = await provider_factory(), unique("ts"), unique("ts")
        await p.ts_insert(a, 1.0, 1.0)
        assert _points(await p.ts_query(b, 0, 10)) == []

    async def test_realistic_epoch_timestamps(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("ts")
        now = time.time()
        await p.ts_insert(s, now, 1.0)
        await p.ts_insert(s, now + 0.001, 2.0)
        got = _points(await p.ts_query(s, now, now + 0.001))
        assert [v for _, v in got] == [1.0, 2.0]

    async def test_concurrent_inserts_lose_nothing(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("ts")
        await asyncio.gather(*(p.ts_insert(s, float(t), float(t)) for t in range(50)))
        assert len(await p.ts_query(s, 0, 100)) == 50


class BaseTestTimeSeriesAggregationInterface(InterfaceSuite):
    """timeseries_aggregation: ts_aggregate (aligned buckets), ts_rollup."""

    interface = "timeseries_aggregation"

    @pytest.mark.parametrize(
        ("function", "expected"),
        [
            ("avg", [(0.0, 2.0), (5.0, 7.0)]),
            ("sum", [(0.0, 10.0), (5.0, 35.0)]),
            ("min", [(0.0, 0.0), (5.0, 5.0)]),
            ("max", [(0.0, 4.0), (5.0, 9.0)]),
            ("count", [(0.0, 5.0), (5.0, 5.0)]),
            ("first", [(0.0, 0.0), (5.0, 5.0)]),
            ("last", [(0.0, 4.0), (5.0, 9.0)]),
        ],
    )
    async def test_functions(
        self,
        provider_factory: ProviderFactory,
        function: str,
        expected: list[tuple[float, float]],
    ) -> None:
        p = await provider_factory()
        s = await _series(p)
        assert _points(await p.ts_aggregate(s, 0, 9, 5, function)) == expected

    async def test_range_is_applied_before_bucketing(
        self, provider_factory: ProviderFactory
    ) -> None:
        p = await provider_factory()
        s = await _series(p)
        assert _points(await p.ts_aggregate(s, 2, 6, 5, "sum")) == [(0.0, 9.0), (5.0, 11.0)]

    async def test_empty_buckets_are_omitted(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("ts")
        await p.ts_insert(s, 1.0, 1.0)
        await p.ts_insert(s, 21.0, 2.0)
        assert _points(await p.ts_aggregate(s, 0, 30, 5, "count")) == [(0.0, 1.0), (20.0, 1.0)]

    @pytest.mark.parametrize(("bucket", "function"), [(5, "median"), (0, "avg"), (-1, "sum")])
    async def test_invalid_arguments(
        self, provider_factory: ProviderFactory, bucket: float, function: str
    ) -> None:
        p = await provider_factory()
        s = await _series(p)
        with pytest.raises(ValueError):
            await p.ts_aggregate(s, 0, 9, bucket, function)

    async def test_rollup_writes_the_aggregate(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        s, dest = await _series(p), unique("rollup")
        assert await p.ts_rollup(s, dest, 5, "max") == 2
        assert _points(await p.ts_query(dest, 0, 100)) == [(0.0, 4.0), (5.0, 9.0)]
        assert len(await p.ts_query(s, 0, 100)) == 10


class BaseTestTimeSeriesRetentionInterface(InterfaceSuite):
    """timeseries_retention: ts_set_retention, ts_get_retention, ts_compact."""

    interface = "timeseries_retention"

    async def test_retention_round_trips(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("ts")
        assert await p.ts_get_retention(s) is None
        await p.ts_set_retention(s, 3600.0)
        assert await p.ts_get_retention(s) == 3600.0
        await p.ts_set_retention(s, None)
        assert await p.ts_get_retention(s) is None

    async def test_compact_drops_old_points(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("ts")
        for t in range(100, 110):
            await p.ts_insert(s, float(t), 1.0)
        await p.ts_set_retention(s, 5.0)
        assert await p.ts_compact(s, 110.0) == 5
        assert [t for t, _ in _points(await p.ts_query(s, 0, 1000))] == [
            105.0,
            106.0,
            107.0,
            108.0,
            109.0,
        ]

    async def test_compact_without_retention_keeps_everything(
        self, provider_factory: ProviderFactory
    ) -> None:
        p = await provider_factory()
        s = await _series(p)
        assert await p.ts_compact(s, 1e12) == 0
        assert len(await p.ts_query(s, 0, 100)) == 10

    async def test_compact_defaults_to_the_current_time(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, s = await provider_factory(), unique("ts")
        now = time.time()
        await p.ts_insert(s, now - 86400 * 30, 1.0)
        await p.ts_insert(s, now + 86400, 2.0)
        await p.ts_set_retention(s, 86400.0)
        assert await p.ts_compact(s) == 1
        assert [v for _, v in _points(await p.ts_query(s, 0, now * 2))] == [2.0]

    @pytest.mark.parametrize("max_age", [0.0, -5.0])
    async def test_invalid_retention(
        self, provider_factory: ProviderFactory, max_age: float
    ) -> None:
        p = await provider_factory()
        with pytest.raises(ValueError):
            await p.ts_set_retention(unique("ts"), max_age)


class BaseTestTimeSeriesInterpolationInterface(InterfaceSuite):
    """timeseries_interpolation: linear and step gap filling."""

    interface = "timeseries_interpolation"

    async def _series(self, p: object) -> str:
        s = unique("ts")
        for t, v in [(0.0, 0.0), (10.0, 100.0), (20.0, 50.0)]:
            await p.ts_insert(s, t, v)  # type: ignore[attr-defined]
        return s

    async def test_linear(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        s = await self._series(p)
        got = list(await p.ts_interpolate_linear(s, [5.0, 10.0, 15.0, -1.0, 25.0, 0.0]))
        assert got == [50.0, 100.0, 75.0, None, None, 0.0]

    async def test_step(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        s = await self._series(p)
        got = list(await p.ts_interpolate_step(s, [5.0, 10.0, 15.0, -1.0, 25.0]))
        assert got == [0.0, 100.0, 100.0, None, 50.0]

    async def test_empty_series(self, provider_factory: ProviderFactory) -> None:
        p, s = await provider_factory(), unique("ts")
        assert list(await p.ts_interpolate_linear(s, [1.0])) == [None]
        assert list(await p.ts_interpolate_step(s, [1.0, 2.0])) == [None, None]
