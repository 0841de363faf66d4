"""sortedset_basic, _range, _rank, _operations, _lex: one row per (member, score).

Order is ``(score, member COLLATE "C")``: ties break by code point, as the suites expect. Rank
ranges use ``row_number()`` and ``count(*)`` windows, so negative indexes resolve in the query.
``zset_add`` tells a new member from a re-score with the ``xmax = 0`` test of the upsert.
"""

from __future__ import annotations

import math

from omnicloud.providers.postgres.interfaces._core import StoreCore

DDL = (
    "CREATE TABLE IF NOT EXISTS ocs_zset (ns text NOT NULL, key text NOT NULL,"
    " member text NOT NULL, score float8 NOT NULL, PRIMARY KEY (ns, key, member))",
)

_ORDER = 'score, member COLLATE "C"'
_RANKED = (
    f"SELECT member, score, row_number() OVER (ORDER BY {_ORDER}) - 1 AS r,"
    " count(*) OVER () AS n FROM ocs_zset WHERE ns = %s AND key = %s"
)
AGGREGATES = {"sum": "sum(score)", "min": "min(score)", "max": "max(score)"}


class SortedSetMixin(StoreCore):
    async def zset_add(self, key: str, member: str, score: float) -> bool:
        if math.isnan(score):
            raise ValueError("score must not be NaN")
        row = await self._fetchone(
            "INSERT INTO ocs_zset VALUES (%s, %s, %s, %s) ON CONFLICT (ns, key, member)"
            " DO UPDATE SET score = EXCLUDED.score RETURNING (xmax = 0)",
            (self._ns, key, member, float(score)),
        )
        return bool(row[0])

    async def zset_remove(self, key: str, *members: str) -> int:
        return await self._execute(
            "DELETE FROM ocs_zset WHERE ns = %s AND key = %s AND member = ANY(%s)",
            (self._ns, key, list(members)),
        )

    async def zset_score(self, key: str, member: str) -> float | None:
        row = await self._fetchone(
            "SELECT score FROM ocs_zset WHERE ns = %s AND key = %s AND member = %s",
            (self._ns, key, member),
        )
        return None if row is None else float(row[0])

    # ----------------------------------------------------------------------------- range
    async def zset_range(self, key: str, start: int, stop: int) -> list[tuple[str, float]]:
        rows = await self._fetchall(
            f"SELECT member, score FROM ({_RANKED}) z"
            " WHERE r >= CASE WHEN %s < 0 THEN n + %s ELSE %s END"
            " AND r <= CASE WHEN %s < 0 THEN n + %s ELSE %s END ORDER BY r",
            (self._ns, key, start, start, start, stop, stop, stop),
        )
        return [(m, float(s)) for m, s in rows]

    async def zset_range_by_score(
        self, key: str, min_score: float, max_score: float, limit: int | None = None
    ) -> list[tuple[str, float]]:
        rows = await self._fetchall(
            "SELECT member, score FROM ocs_zset WHERE ns = %s AND key = %s"
            f" AND score BETWEEN %s AND %s ORDER BY {_ORDER} LIMIT %s",
            (self._ns, key, float(min_score), float(max_score), limit),
        )
        return [(m, float(s)) for m, s in rows]

    # ------------------------------------------------------------------------------ rank
    async def _rank(self, key: str, member: str) -> tuple[int, int] | None:
        row = await self._fetchone(
            f"SELECT r, n FROM ({_RANKED}) z WHERE member = %s", (self._ns, key, member)
        )
        return None if row is None else (int(row[0]), int(row[1]))

    async def zset_rank(self, key: str, member: str) -> int | None:
        found = await self._rank(key, member)
        return None if found is None else found[0]

    async def zset_reverse_rank(self, key: str, member: str) -> int | None:
        found = await self._rank(key, member)
        return None if found is None else found[1] - 1 - found[0]

    # ------------------------------------------------------------------------ operations
    async def _combine(
        self, keys: tuple[str, ...], aggregate: str, every: bool
    ) -> list[tuple[str, float]]:
        if aggregate not in AGGREGATES:
            raise ValueError(f"aggregate must be one of {sorted(AGGREGATES)}, got {aggregate!r}")
        distinct = sorted(set(keys))
        having = "HAVING count(*) = %s" if every else "HAVING %s > 0"
        rows = await self._fetchall(
            f"SELECT member, {AGGREGATES[aggregate]} AS score FROM ocs_zset"
            f" WHERE ns = %s AND key = ANY(%s) GROUP BY member {having} ORDER BY {_ORDER}",
            (self._ns, distinct, len(distinct)),
        )
        return [(m, float(s)) for m, s in rows]

    async def zset_union(self, *keys: str, aggregate: str = "sum") -> list[tuple[str, float]]:
        return await self._combine(keys, aggregate, every=False)

    async def zset_intersection(
        self, *keys: str, aggregate: str = "sum"
    ) -> list[tuple[str, float]]:
        return await self._combine(keys, aggregate, every=True)

    # ------------------------------------------------------------------------------- lex
    async def zset_range_by_lex(self, key: str, lower: str | None, upper: str | None) -> list[str]:
        rows = await self._fetchall(
            "SELECT member FROM ocs_zset WHERE ns = %s AND key = %s"
            ' AND (%s::text IS NULL OR member COLLATE "C" >= %s::text COLLATE "C")'
            ' AND (%s::text IS NULL OR member COLLATE "C" <= %s::text COLLATE "C")'
            f" ORDER BY {_ORDER}",
            (self._ns, key, lower, lower, upper, upper),
        )
        return [row[0] for row in rows]
