"""keyvalue_basic, keyvalue_scan, keyvalue_ttl, keyvalue_cas, keyvalue_batch on one table.

Keys and values are UTF-8 ``bytea``: byte order is code point order, so ``ORDER BY k`` sorts keys
as the suites expect and a prefix is a range scan of the primary key. An expired row is dead to
every read (``LIVE``) and is overwritten by the next write. ``version`` comes from one sequence,
so a key deleted and written again never repeats a version (the transactions rely on it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from omnicloud.providers.postgres.interfaces._core import (
    NOW,
    StoreCore,
    decode,
    encode,
    positive,
)

DDL = (
    "CREATE SEQUENCE IF NOT EXISTS ocs_kv_version",
    "CREATE TABLE IF NOT EXISTS ocs_kv (ns text NOT NULL, k bytea NOT NULL, v bytea NOT NULL,"
    " expires_at float8, version bigint NOT NULL, PRIMARY KEY (ns, k))",
)

LIVE = f"(expires_at IS NULL OR expires_at > {NOW})"
_UPSERT = (
    "INSERT INTO ocs_kv (ns, k, v, expires_at, version)"
    " VALUES (%s, %s, %s, {expiry}, nextval('ocs_kv_version')) ON CONFLICT (ns, k) DO UPDATE"
    " SET v = EXCLUDED.v, expires_at = EXCLUDED.expires_at, version = EXCLUDED.version"
)
SET_SQL = _UPSERT.format(expiry="NULL")
SET_TTL_SQL = _UPSERT.format(expiry=f"{NOW} + %s")


def prefix_range(prefix: str) -> tuple[bytes, bytes | None]:
    """``(low, high)`` such that a key starts with ``prefix`` iff ``low <= k < high``. Pure.

    ``high`` is ``None`` when no bound exists (an empty prefix, or only 0xFF bytes).
    """
    low = encode(prefix)
    stripped = low.rstrip(b"\xff")
    if not stripped:
        return low, None
    return low, stripped[:-1] + bytes([stripped[-1] + 1])


class KeyValueMixin(StoreCore):
    """The key-value families (transactions live in ``kv_transactions``)."""

    async def set(self, key: str, value: str) -> None:
        await self._execute(SET_SQL, (self._ns, encode(key), encode(value)))

    async def get(self, key: str) -> str | None:
        row = await self._fetchone(
            f"SELECT v FROM ocs_kv WHERE ns = %s AND k = %s AND {LIVE}", (self._ns, encode(key))
        )
        return None if row is None else decode(row[0])

    async def delete(self, key: str) -> bool:
        """Remove ``key``; ``True`` when a live value was removed."""
        row = await self._fetchone(
            f"DELETE FROM ocs_kv WHERE ns = %s AND k = %s RETURNING {LIVE}",
            (self._ns, encode(key)),
        )
        return bool(row and row[0])

    async def exists(self, key: str) -> bool:
        row = await self._fetchone(
            f"SELECT 1 FROM ocs_kv WHERE ns = %s AND k = %s AND {LIVE}", (self._ns, encode(key))
        )
        return row is not None

    # ------------------------------------------------------------------------------- scan
    def _range(self, prefix: str) -> tuple[str, list[object]]:
        low, high = prefix_range(prefix)
        if high is None:
            return f"ns = %s AND k >= %s AND {LIVE}", [self._ns, low]
        return f"ns = %s AND k >= %s AND k < %s AND {LIVE}", [self._ns, low, high]

    async def scan(self, prefix: str = "", limit: int | None = None) -> list[tuple[str, str]]:
        where, params = self._range(prefix)
        rows = await self._fetchall(
            f"SELECT k, v FROM ocs_kv WHERE {where} ORDER BY k LIMIT %s", (*params, limit)
        )
        return [(decode(k), decode(v)) for k, v in rows]

    async def scan_keys(self, prefix: str = "", limit: int | None = None) -> list[str]:
        where, params = self._range(prefix)
        rows = await self._fetchall(
            f"SELECT k FROM ocs_kv WHERE {where} ORDER BY k LIMIT %s", (*params, limit)
        )
        return [decode(row[0]) for row in rows]

    async def count(self, prefix: str = "") -> int:
        where, params = self._range(prefix)
        row = await self._fetchone(f"SELECT count(*) FROM ocs_kv WHERE {where}", params)
        return int(row[0])

    # -------------------------------------------------------------------------------- ttl
    async def set_with_ttl(self, key: str, value: str, ttl: float) -> None:
        positive("ttl", ttl)
        await self._execute(SET_TTL_SQL, (self._ns, encode(key), encode(value), float(ttl)))

    async def expire(self, key: str, ttl: float) -> bool:
        if ttl <= 0:
            return await self.delete(key)
        return (
            await self._execute(
                f"UPDATE ocs_kv SET expires_at = {NOW} + %s WHERE ns = %s AND k = %s AND {LIVE}",
                (float(ttl), self._ns, encode(key)),
            )
            == 1
        )

    async def get_ttl(self, key: str) -> float | None:
        row = await self._fetchone(
            f"SELECT expires_at - {NOW} FROM ocs_kv WHERE ns = %s AND k = %s AND {LIVE}",
            (self._ns, encode(key)),
        )
        if row is None:
            return None
        return math.inf if row[0] is None else max(0.0, float(row[0]))

    async def persist(self, key: str) -> bool:
        return (
            await self._execute(
                "UPDATE ocs_kv SET expires_at = NULL"
                f" WHERE ns = %s AND k = %s AND expires_at IS NOT NULL AND {LIVE}",
                (self._ns, encode(key)),
            )
            == 1
        )

    # -------------------------------------------------------------------------------- cas
    async def compare_and_swap(self, key: str, expected: str | None, value: str) -> bool:
        if expected is None:
            # inserted, or replaced an expired row: both mean "was absent"
            row = await self._fetchone(
                f"{SET_SQL} WHERE ocs_kv.expires_at IS NOT NULL"
                f" AND ocs_kv.expires_at <= {NOW} RETURNING 1",
                (self._ns, encode(key), encode(value)),
            )
            return row is not None
        return (
            await self._execute(
                "UPDATE ocs_kv SET v = %s, expires_at = NULL, version = nextval('ocs_kv_version')"
                f" WHERE ns = %s AND k = %s AND v = %s AND {LIVE}",
                (encode(value), self._ns, encode(key), encode(expected)),
            )
            == 1
        )

    async def compare_and_delete(self, key: str, expected: str) -> bool:
        return (
            await self._execute(
                f"DELETE FROM ocs_kv WHERE ns = %s AND k = %s AND v = %s AND {LIVE}",
                (self._ns, encode(key), encode(expected)),
            )
            == 1
        )

    # ------------------------------------------------------------------------------ batch
    async def batch_set(self, items: Mapping[str, str]) -> None:
        if not items:
            return
        await self._execute(
            "INSERT INTO ocs_kv (ns, k, v, expires_at, version)"
            " SELECT %s, k, v, NULL, nextval('ocs_kv_version')"
            " FROM unnest(%s::bytea[], %s::bytea[]) AS t(k, v) ON CONFLICT (ns, k) DO UPDATE"
            " SET v = EXCLUDED.v, expires_at = NULL, version = EXCLUDED.version",
            (self._ns, [encode(k) for k in items], [encode(v) for v in items.values()]),
        )

    async def batch_get(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        rows = await self._fetchall(
            f"SELECT k, v FROM ocs_kv WHERE ns = %s AND k = ANY(%s) AND {LIVE}",
            (self._ns, [encode(k) for k in keys]),
        )
        found = {decode(k): decode(v) for k, v in rows}
        return [found.get(key) for key in keys]

    async def batch_delete(self, keys: Sequence[str]) -> int:
        if not keys:
            return 0
        rows = await self._fetchall(
            f"DELETE FROM ocs_kv WHERE ns = %s AND k = ANY(%s) RETURNING {LIVE}",
            (self._ns, [encode(k) for k in set(keys)]),
        )
        return sum(1 for row in rows if row[0])
