"""What every PostgreSQL provider shares: an async connection, its schema, its tables.

Each provider instance opens one autocommit ``psycopg.AsyncConnection``. Tables live in
``schema`` (``{services.postgres.schema}``: under xdist each worker has its own) and are created
on first use under an advisory lock, so concurrent first uses do not race.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from omnicloud.providers.postgres._client import psycopg_module

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def connect(url: str, schema: str = "public", ddl: tuple[str, ...] = ()) -> Any:
    """An autocommit connection whose ``search_path`` is ``schema``, with ``ddl`` applied."""
    psycopg = psycopg_module()
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (schema,))
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
            await conn.execute(f"SET search_path TO {quote_ident(schema)}")
            for statement in ddl:
                await conn.execute(statement)
    except BaseException:
        await conn.close()
        raise
    return conn


class PostgresProvider:
    """Base of the PostgreSQL providers: owns one connection, closed by ``aclose``.

    One connection runs one statement or transaction at a time: concurrent coroutines of the
    same provider take turns through ``_lock`` (otherwise their transactions would interleave).
    """

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()

    async def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._lock:
            cur = await self._conn.execute(sql, params)
            return int(cur.rowcount)

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self._lock:
            cur = await self._conn.execute(sql, params)
            return list(await cur.fetchall())

    async def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self._lock:
            cur = await self._conn.execute(sql, params)
            return await cur.fetchone()

    async def aclose(self) -> None:
        await self._conn.close()
