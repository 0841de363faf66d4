"""keyvalue_transactional: optimistic transactions checked and applied in one SQL transaction.

A transaction buffers its writes and remembers the ``version`` of every key it read (``None``
for an absent key). ``commit`` runs one ``REPEATABLE READ`` transaction: it locks the rows it read
(``FOR UPDATE``), refuses when any version moved, then applies the writes. A row that another
client wrote after the snapshot makes PostgreSQL raise a serialization failure, which is the
same conflict: nothing is applied either way.
"""

from __future__ import annotations

from typing import Any

from omnicloud.providers.postgres.interfaces._core import StoreCore, decode, encode, errors
from omnicloud.providers.postgres.interfaces.keyvalue import LIVE, SET_SQL
from omnicloud.providers.transactions import DELETED, BufferedTransaction
from tck_py.interfaces.errors import TransactionConflictError


class PostgresTransaction(BufferedTransaction[int | None]):
    """Buffered writes and the ``version`` of what was read (``None``: absent); ``commit`` is
    one SQL transaction."""

    def __init__(self, store: KeyValueTransactionsMixin) -> None:
        super().__init__()
        self._store = store

    async def _read_versioned(self, key: str) -> tuple[str | None, int | None]:
        return await self._store._read_versioned(key)

    async def _commit_buffered(
        self, read: dict[str, int | None], writes: dict[str, object]
    ) -> None:
        await self._store._commit(read, writes)


class KeyValueTransactionsMixin(StoreCore):
    async def begin_transaction(self) -> PostgresTransaction:
        return PostgresTransaction(self)

    async def _read_versioned(self, key: str) -> tuple[str | None, int | None]:
        row = await self._fetchone(
            f"SELECT v, version FROM ocs_kv WHERE ns = %s AND k = %s AND {LIVE}",
            (self._ns, encode(key)),
        )
        return (None, None) if row is None else (decode(row[0]), int(row[1]))

    async def _commit(self, read: dict[str, int | None], writes: dict[str, object]) -> None:
        try:
            async with self._transaction("REPEATABLE READ") as conn:
                if read:
                    await self._check_versions(conn, read)
                for key, value in writes.items():
                    await self._apply(conn, key, value)
        except errors().SerializationFailure:
            raise TransactionConflictError(
                "a key was written by another client during the transaction"
            ) from None

    async def _check_versions(self, conn: Any, read: dict[str, int | None]) -> None:
        cur = await conn.execute(
            f"SELECT k, version FROM ocs_kv WHERE ns = %s AND k = ANY(%s) AND {LIVE}"
            " ORDER BY k FOR UPDATE",
            (self._ns, [encode(k) for k in read]),
        )
        now = {decode(k): int(version) for k, version in await cur.fetchall()}
        moved = sorted(k for k, version in read.items() if now.get(k) != version)
        if moved:
            raise TransactionConflictError(f"keys changed since they were read: {moved}")

    async def _apply(self, conn: Any, key: str, value: object) -> None:
        if value is DELETED:
            await conn.execute(
                "DELETE FROM ocs_kv WHERE ns = %s AND k = %s", (self._ns, encode(key))
            )
        else:
            await conn.execute(SET_SQL, (self._ns, encode(key), encode(str(value))))
