"""set_basic, set_operations, set_cardinality, set_random: one row per member.

Algebra is SQL (``UNION``, ``INTERSECT`` by member count, ``EXCEPT``); a random pop deletes a
row chosen ``ORDER BY random()`` under ``FOR UPDATE SKIP LOCKED``, so concurrent poppers on any
connection never return the same member. Members are ``text`` (no NUL character).
"""

from __future__ import annotations

from omnicloud.providers.postgres.interfaces._core import StoreCore

DDL = (
    "CREATE TABLE IF NOT EXISTS ocs_set (ns text NOT NULL, key text NOT NULL,"
    " member text NOT NULL, PRIMARY KEY (ns, key, member))",
)


class SetMixin(StoreCore):
    async def set_add(self, key: str, *members: str) -> int:
        if not members:
            raise ValueError("set_add needs at least one member")
        return await self._execute(
            "INSERT INTO ocs_set SELECT %s, %s, m FROM unnest(%s::text[]) AS m"
            " ON CONFLICT DO NOTHING",
            (self._ns, key, sorted(set(members))),
        )

    async def set_remove(self, key: str, *members: str) -> int:
        return await self._execute(
            "DELETE FROM ocs_set WHERE ns = %s AND key = %s AND member = ANY(%s)",
            (self._ns, key, list(members)),
        )

    async def set_contains(self, key: str, member: str) -> bool:
        row = await self._fetchone(
            "SELECT 1 FROM ocs_set WHERE ns = %s AND key = %s AND member = %s",
            (self._ns, key, member),
        )
        return row is not None

    async def set_members(self, key: str) -> set[str]:
        rows = await self._fetchall(
            "SELECT member FROM ocs_set WHERE ns = %s AND key = %s", (self._ns, key)
        )
        return {row[0] for row in rows}

    # ------------------------------------------------------------------------ operations
    async def set_union(self, *keys: str) -> set[str]:
        rows = await self._fetchall(
            "SELECT DISTINCT member FROM ocs_set WHERE ns = %s AND key = ANY(%s)",
            (self._ns, list(keys)),
        )
        return {row[0] for row in rows}

    async def set_intersection(self, *keys: str) -> set[str]:
        distinct = sorted(set(keys))
        rows = await self._fetchall(
            "SELECT member FROM ocs_set WHERE ns = %s AND key = ANY(%s) GROUP BY member"
            " HAVING count(*) = %s",
            (self._ns, distinct, len(distinct)),
        )
        return {row[0] for row in rows}

    async def set_difference(self, key: str, *others: str) -> set[str]:
        rows = await self._fetchall(
            "SELECT member FROM ocs_set WHERE ns = %s AND key = %s EXCEPT"
            " SELECT member FROM ocs_set WHERE ns = %s AND key = ANY(%s)",
            (self._ns, key, self._ns, list(others)),
        )
        return {row[0] for row in rows}

    # ----------------------------------------------------------------------- cardinality
    async def set_size(self, key: str) -> int:
        row = await self._fetchone(
            "SELECT count(*) FROM ocs_set WHERE ns = %s AND key = %s", (self._ns, key)
        )
        return int(row[0])

    async def set_is_member(self, key: str, member: str) -> bool:
        return await self.set_contains(key, member)

    # ---------------------------------------------------------------------------- random
    async def set_random_member(self, key: str) -> str | None:
        row = await self._fetchone(
            "SELECT member FROM ocs_set WHERE ns = %s AND key = %s ORDER BY random() LIMIT 1",
            (self._ns, key),
        )
        return None if row is None else str(row[0])

    async def set_pop_random(self, key: str) -> str | None:
        row = await self._fetchone(
            "DELETE FROM ocs_set WHERE (ns, key, member) = (SELECT ns, key, member FROM ocs_set"
            " WHERE ns = %s AND key = %s ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED)"
            " RETURNING member",
            (self._ns, key),
        )
        return None if row is None else str(row[0])
