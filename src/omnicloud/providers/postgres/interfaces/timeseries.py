"""timeseries_basic, _aggregation, _retention, _interpolation, all computed in SQL.

Buckets are ``floor(t / bucket) * bucket``; ``first``/``last`` are the ordered ``array_agg``'s
ends. Interpolation joins each requested timestamp (``unnest ... WITH ORDINALITY``) to its
neighbours with two ``LATERAL`` index lookups and interpolates in the same query.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from omnicloud.providers.postgres.interfaces._core import NOW, StoreCore, positive

DDL = (
    "CREATE TABLE IF NOT EXISTS ocs_ts (ns text NOT NULL, series text NOT NULL, t float8 NOT NULL,"
    " v float8 NOT NULL, PRIMARY KEY (ns, series, t))",
    "CREATE TABLE IF NOT EXISTS ocs_ts_retention (ns text NOT NULL, series text NOT NULL,"
    " max_age float8 NOT NULL, PRIMARY KEY (ns, series))",
)

FUNCTIONS = {
    "avg": "avg(v)",
    "sum": "sum(v)",
    "min": "min(v)",
    "max": "max(v)",
    "count": "count(*)::float8",
    "first": "(array_agg(v ORDER BY t))[1]",
    "last": "(array_agg(v ORDER BY t DESC))[1]",
}

_BUCKETS = (
    "SELECT floor(t / %s) * %s AS b, {function} AS value FROM ocs_ts"
    " WHERE ns = %s AND series = %s AND t BETWEEN %s AND %s GROUP BY b ORDER BY b"
)
_NEIGHBOURS = (
    "SELECT CASE WHEN p.t IS NULL OR n.t IS NULL THEN NULL WHEN p.t = n.t THEN p.v"
    " ELSE p.v + (n.v - p.v) * (q.t - p.t) / (n.t - p.t) END, p.v"
    " FROM unnest(%s::float8[]) WITH ORDINALITY AS q(t, i)"
    " LEFT JOIN LATERAL (SELECT t, v FROM ocs_ts WHERE ns = %s AND series = %s AND t <= q.t"
    " ORDER BY t DESC LIMIT 1) p ON TRUE"
    " LEFT JOIN LATERAL (SELECT t, v FROM ocs_ts WHERE ns = %s AND series = %s AND t >= q.t"
    " ORDER BY t LIMIT 1) n ON TRUE ORDER BY q.i"
)
_UPSERT = (
    "INSERT INTO ocs_ts VALUES (%s, %s, %s, %s) ON CONFLICT (ns, series, t)"
    " DO UPDATE SET v = EXCLUDED.v"
)


def _aggregate_sql(bucket: float, function: str) -> str:
    if function not in FUNCTIONS:
        raise ValueError(f"function must be one of {sorted(FUNCTIONS)}, got {function!r}")
    positive("bucket", bucket)
    return _BUCKETS.format(function=FUNCTIONS[function])


class TimeSeriesMixin(StoreCore):
    async def ts_insert(self, series: str, timestamp: float, value: float) -> None:
        if math.isnan(timestamp):
            raise ValueError("timestamp must not be NaN")
        await self._execute(_UPSERT, (self._ns, series, float(timestamp), float(value)))

    async def ts_query(self, series: str, start: float, end: float) -> list[tuple[float, float]]:
        rows = await self._fetchall(
            "SELECT t, v FROM ocs_ts WHERE ns = %s AND series = %s AND t BETWEEN %s AND %s"
            " ORDER BY t",
            (self._ns, series, float(start), float(end)),
        )
        return [(float(t), float(v)) for t, v in rows]

    # ------------------------------------------------------------------------ aggregation
    async def ts_aggregate(
        self, series: str, start: float, end: float, bucket: float, function: str
    ) -> list[tuple[float, float]]:
        rows = await self._fetchall(
            _aggregate_sql(bucket, function),
            (float(bucket), float(bucket), self._ns, series, float(start), float(end)),
        )
        return [(float(b), float(v)) for b, v in rows]

    async def ts_rollup(self, series: str, destination: str, bucket: float, function: str) -> int:
        if destination == series:
            raise ValueError("destination must differ from the source series")
        select = _aggregate_sql(bucket, function)
        return await self._execute(
            f"INSERT INTO ocs_ts SELECT %s, %s, b, value FROM ({select}) agg"
            " ON CONFLICT (ns, series, t) DO UPDATE SET v = EXCLUDED.v",
            (
                self._ns,
                destination,
                float(bucket),
                float(bucket),
                self._ns,
                series,
                -math.inf,
                math.inf,
            ),
        )

    # -------------------------------------------------------------------------- retention
    async def ts_set_retention(self, series: str, max_age: float | None) -> None:
        positive("max_age", max_age)
        if max_age is None:
            await self._execute(
                "DELETE FROM ocs_ts_retention WHERE ns = %s AND series = %s", (self._ns, series)
            )
            return
        await self._execute(
            "INSERT INTO ocs_ts_retention VALUES (%s, %s, %s) ON CONFLICT (ns, series)"
            " DO UPDATE SET max_age = EXCLUDED.max_age",
            (self._ns, series, float(max_age)),
        )

    async def ts_get_retention(self, series: str) -> float | None:
        row = await self._fetchone(
            "SELECT max_age FROM ocs_ts_retention WHERE ns = %s AND series = %s",
            (self._ns, series),
        )
        return None if row is None else float(row[0])

    async def ts_compact(self, series: str, now: float | None = None) -> int:
        return await self._execute(
            "DELETE FROM ocs_ts USING ocs_ts_retention r WHERE ocs_ts.ns = %s"
            " AND ocs_ts.series = %s AND r.ns = ocs_ts.ns AND r.series = ocs_ts.series"
            f" AND ocs_ts.t < coalesce(%s::float8, {NOW}) - r.max_age",
            (self._ns, series, now),
        )

    # ---------------------------------------------------------------------- interpolation
    async def _interpolate(self, series: str, timestamps: Sequence[float]) -> list[Any]:
        """``(linear, step)`` per timestamp, in order."""
        if not timestamps:
            return []
        return await self._fetchall(
            _NEIGHBOURS, ([float(t) for t in timestamps], self._ns, series, self._ns, series)
        )

    async def ts_interpolate_linear(
        self, series: str, timestamps: Sequence[float]
    ) -> list[float | None]:
        return [row[0] for row in await self._interpolate(series, timestamps)]

    async def ts_interpolate_step(
        self, series: str, timestamps: Sequence[float]
    ) -> list[float | None]:
        return [row[1] for row in await self._interpolate(series, timestamps)]
