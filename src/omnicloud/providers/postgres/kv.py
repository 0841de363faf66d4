"""PostgreSQL key-value store (contract ``kv_store``, policy ``multi_tenancy``).

Keys and values are stored as UTF-8 ``bytea`` so any Python string round-trips (``text`` cannot
hold NUL); the primary key is a SHA-256 of the key so keys of any length fit a btree.
"""

from __future__ import annotations

import hashlib

from omnicloud.providers.postgres._base import DEFAULT_URL, PostgresProvider, connect

DDL = (
    "CREATE TABLE IF NOT EXISTS omnicloud_kv (ns text NOT NULL, kh bytea NOT NULL,"
    " k bytea NOT NULL, v bytea NOT NULL, PRIMARY KEY (ns, kh))",
)


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


class PostgresKVStore(PostgresProvider):
    """String values under string keys, one namespace per tenant."""

    def __init__(self, conn: object, tenant_id: str | None = None) -> None:
        super().__init__(conn)
        self._ns = "" if tenant_id is None else f"t:{tenant_id}"

    async def get(self, key: str) -> str | None:
        row = await self._fetchone(
            "SELECT v FROM omnicloud_kv WHERE ns = %s AND kh = %s", (self._ns, _digest(key))
        )
        return None if row is None else bytes(row[0]).decode("utf-8", "surrogatepass")

    async def set(self, key: str, value: str) -> None:
        await self._execute(
            "INSERT INTO omnicloud_kv (ns, kh, k, v) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (ns, kh) DO UPDATE SET v = EXCLUDED.v",
            (
                self._ns,
                _digest(key),
                key.encode("utf-8", "surrogatepass"),
                value.encode("utf-8", "surrogatepass"),
            ),
        )

    async def delete(self, key: str) -> None:
        await self._execute(
            "DELETE FROM omnicloud_kv WHERE ns = %s AND kh = %s", (self._ns, _digest(key))
        )


async def create_kv_store(
    url: str = DEFAULT_URL, schema: str = "public", tenant_id: str | None = None
) -> PostgresKVStore:
    """Factory for ``factory = "omnicloud.providers.postgres:create_kv_store"``."""
    return PostgresKVStore(await connect(url, schema, DDL), tenant_id)
