"""set_basic, _operations, _cardinality and _random on Redis sets (``SADD`` ... ``SPOP``)."""

from __future__ import annotations

from omnicloud.providers.redis.interfaces._core import RedisCore, must_text, text

KIND = "set"


def _strings(members: set[bytes] | list[bytes]) -> set[str]:
    return {must_text(m) for m in members}


class SetMixin(RedisCore):
    """Unordered sets of strings; the algebra runs on the server (``SUNION``, ``SINTER``...)."""

    def _set(self, key: str) -> str:
        return self._key(KIND, key)

    # set_basic
    async def set_add(self, key: str, *members: str) -> int:
        if not members:
            raise ValueError("set_add needs at least one member")
        return int(await self._client.sadd(self._set(key), *members))

    async def set_remove(self, key: str, *members: str) -> int:
        if not members:
            return 0
        return int(await self._client.srem(self._set(key), *members))

    async def set_contains(self, key: str, member: str) -> bool:
        return bool(await self._client.sismember(self._set(key), member))

    async def set_members(self, key: str) -> set[str]:
        return _strings(await self._client.smembers(self._set(key)))

    # set_operations
    async def set_union(self, *keys: str) -> set[str]:
        if not keys:
            return set()
        return _strings(await self._client.sunion([self._set(k) for k in keys]))

    async def set_intersection(self, *keys: str) -> set[str]:
        if not keys:
            raise ValueError("set_intersection needs at least one key")
        return _strings(await self._client.sinter([self._set(k) for k in keys]))

    async def set_difference(self, key: str, *others: str) -> set[str]:
        return _strings(await self._client.sdiff([self._set(k) for k in (key, *others)]))

    # set_cardinality
    async def set_size(self, key: str) -> int:
        return int(await self._client.scard(self._set(key)))

    async def set_is_member(self, key: str, member: str) -> bool:
        return await self.set_contains(key, member)

    # set_random
    async def set_random_member(self, key: str) -> str | None:
        return text(await self._client.srandmember(self._set(key)))

    async def set_pop_random(self, key: str) -> str | None:
        return text(await self._client.spop(self._set(key)))
