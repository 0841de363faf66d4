"""What every interface module of the PostgreSQL store shares.

A store instance owns one connection and a namespace ``ns`` (a random id unless one is given):
every table has an ``ns`` column, so instances sharing a schema never see each other's data,
and two processes that pass the same ``namespace`` share it. Times come from the server's clock
(``NOW``) so every client of one database agrees on expiry, visibility and delays.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from omnicloud.providers.postgres._base import PostgresProvider
from omnicloud.providers.postgres._client import psycopg_module

#: Seconds since the epoch on the server, as float8 (changes within a transaction, unlike now()).
NOW = "extract(epoch from clock_timestamp())::float8"


def encode(text: str) -> bytes:
    """UTF-8 bytes of any Python string (lone surrogates included): ``text`` cannot hold NUL."""
    return text.encode("utf-8", "surrogatepass")


def decode(data: bytes | memoryview) -> str:
    return bytes(data).decode("utf-8", "surrogatepass")


def positive(name: str, value: float | None) -> None:
    """``ValueError`` unless ``value`` is None or a positive finite-or-infinite number."""
    if value is not None and (math.isnan(value) or value <= 0):
        raise ValueError(f"{name} must be positive, got {value!r}")


def errors() -> Any:
    """``psycopg.errors`` (imported lazily like the rest of the client)."""
    return psycopg_module().errors


class StoreCore(PostgresProvider):
    """The connection, its lock and this instance's namespace."""

    def __init__(self, conn: Any, ns: str) -> None:
        super().__init__(conn)
        self._ns = ns

    @asynccontextmanager
    async def _transaction(self, isolation: str | None = None) -> AsyncIterator[Any]:
        """The connection inside one database transaction (rolled back when the block raises)."""
        async with self._lock, self._conn.transaction():
            if isolation is not None:
                await self._conn.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
            yield self._conn
