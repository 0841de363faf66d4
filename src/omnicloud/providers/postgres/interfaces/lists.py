"""list_basic, list_indexing, list_range, list_blocking: one row per element, ordered by
``pos``; values are UTF-8 ``bytea`` (any string, NUL included).

Pushes extend the ``pos`` range at either end; an insert shifts the elements after the pivot by
one. Every change runs in a transaction holding a per-list advisory lock, so writers on other
connections cannot interleave; index arithmetic (negative indexes, inclusive ranges) is done in
the query with ``row_number()`` and ``count(*)`` windows. Blocking pops poll (every 20 ms) until
their timeout: PostgreSQL has no blocking read of a table.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from omnicloud.providers.postgres.interfaces._core import StoreCore, decode, encode

DDL = (
    "CREATE TABLE IF NOT EXISTS ocs_list (id bigserial PRIMARY KEY, ns text NOT NULL,"
    " key text NOT NULL, pos bigint NOT NULL, value bytea NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ocs_list_order ON ocs_list (ns, key, pos)",
)

POLL = 0.02
_RANKED = (
    "SELECT id, pos, value, row_number() OVER (ORDER BY pos) - 1 AS i, count(*) OVER () AS n"
    " FROM ocs_list WHERE ns = %s AND key = %s"
)
# ``%s`` index -> absolute index, given the list length ``n``
_INDEX = "(CASE WHEN %s < 0 THEN n + %s ELSE %s END)"


class ListMixin(StoreCore):
    @asynccontextmanager
    async def _locked(self, key: str) -> AsyncIterator[Any]:
        async with self._transaction() as conn:
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"{self._ns}/{key}",)
            )
            yield conn

    async def _push(self, key: str, values: tuple[str, ...], left: bool) -> int:
        if not values:
            raise ValueError("pushing needs at least one value")
        edge = "coalesce(min(pos), 0) - o" if left else "coalesce(max(pos), 0) + o"
        async with self._locked(key) as conn:
            await conn.execute(
                f"INSERT INTO ocs_list (ns, key, pos, value) SELECT %s, %s, (SELECT {edge}"
                " FROM ocs_list WHERE ns = %s AND key = %s), v"
                " FROM unnest(%s::bytea[]) WITH ORDINALITY AS t(v, o)",
                (self._ns, key, self._ns, key, [encode(v) for v in values]),
            )
            return await self._length(conn, key)

    async def _length(self, conn: Any, key: str) -> int:
        cur = await conn.execute(
            "SELECT count(*) FROM ocs_list WHERE ns = %s AND key = %s", (self._ns, key)
        )
        return int((await cur.fetchone())[0])

    async def _pop(self, key: str, left: bool) -> str | None:
        row = await self._fetchone(
            "DELETE FROM ocs_list WHERE id = (SELECT id FROM ocs_list WHERE ns = %s AND key = %s"
            f" ORDER BY pos {'ASC' if left else 'DESC'} LIMIT 1 FOR UPDATE SKIP LOCKED)"
            " RETURNING value",
            (self._ns, key),
        )
        return None if row is None else decode(row[0])

    async def list_push_left(self, key: str, *values: str) -> int:
        return await self._push(key, values, left=True)

    async def list_push_right(self, key: str, *values: str) -> int:
        return await self._push(key, values, left=False)

    async def list_pop_left(self, key: str) -> str | None:
        return await self._pop(key, left=True)

    async def list_pop_right(self, key: str) -> str | None:
        return await self._pop(key, left=False)

    async def list_length(self, key: str) -> int:
        row = await self._fetchone(
            "SELECT count(*) FROM ocs_list WHERE ns = %s AND key = %s", (self._ns, key)
        )
        return int(row[0])

    # -------------------------------------------------------------------------- indexing
    async def list_get(self, key: str, index: int) -> str | None:
        row = await self._fetchone(
            f"SELECT value FROM ({_RANKED}) l WHERE i = {_INDEX}",
            (self._ns, key, index, index, index),
        )
        return None if row is None else decode(row[0])

    async def list_set(self, key: str, index: int, value: str) -> None:
        async with self._locked(key) as conn:
            cur = await conn.execute(
                f"UPDATE ocs_list SET value = %s WHERE id = (SELECT id FROM ({_RANKED}) l"
                f" WHERE i = {_INDEX})",
                (encode(value), self._ns, key, index, index, index),
            )
            if cur.rowcount != 1:
                raise IndexError(f"list {key!r} has no index {index}")

    async def list_insert(
        self, key: str, pivot: str, value: str, before: bool = True
    ) -> int | None:
        async with self._locked(key) as conn:
            cur = await conn.execute(
                "SELECT min(pos) FROM ocs_list WHERE ns = %s AND key = %s AND value = %s",
                (self._ns, key, encode(pivot)),
            )
            found = (await cur.fetchone())[0]
            if found is None:
                return None
            at = found if before else found + 1
            await conn.execute(
                "UPDATE ocs_list SET pos = pos + 1 WHERE ns = %s AND key = %s AND pos >= %s",
                (self._ns, key, at),
            )
            await conn.execute(
                "INSERT INTO ocs_list (ns, key, pos, value) VALUES (%s, %s, %s, %s)",
                (self._ns, key, at, encode(value)),
            )
            return await self._length(conn, key)

    async def list_remove(self, key: str, value: str, count: int = 0) -> int:
        way = "DESC" if count < 0 else "ASC"
        return await self._execute(
            "DELETE FROM ocs_list WHERE id IN (SELECT id FROM ocs_list WHERE ns = %s AND key = %s"
            f" AND value = %s ORDER BY pos {way} LIMIT %s)",
            (self._ns, key, encode(value), abs(count) or None),
        )

    # ----------------------------------------------------------------------------- range
    async def list_range(self, key: str, start: int, stop: int) -> list[str]:
        rows = await self._fetchall(
            f"SELECT value FROM ({_RANKED}) l WHERE i >= {_INDEX} AND i <= {_INDEX} ORDER BY i",
            (self._ns, key, start, start, start, stop, stop, stop),
        )
        return [decode(row[0]) for row in rows]

    async def list_trim(self, key: str, start: int, stop: int) -> None:
        async with self._locked(key) as conn:
            await conn.execute(
                f"DELETE FROM ocs_list WHERE id IN (SELECT id FROM ({_RANKED}) l"
                f" WHERE NOT (i >= {_INDEX} AND i <= {_INDEX}))",
                (self._ns, key, start, start, start, stop, stop, stop),
            )

    # -------------------------------------------------------------------------- blocking
    async def _blocking_pop(self, key: str, timeout: float, left: bool) -> str | None:
        deadline = time.monotonic() + timeout
        while True:
            value = await self._pop(key, left)
            if value is not None or time.monotonic() >= deadline:
                return value
            await asyncio.sleep(POLL)

    async def list_blocking_pop_left(self, key: str, timeout: float) -> str | None:
        return await self._blocking_pop(key, timeout, left=True)

    async def list_blocking_pop_right(self, key: str, timeout: float) -> str | None:
        return await self._blocking_pop(key, timeout, left=False)
