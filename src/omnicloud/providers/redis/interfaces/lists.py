"""list_basic, _indexing, _range and _blocking on Redis lists (``LPUSH`` ... ``BLPOP``).

Redis list ranges are already inclusive with negative indexes from the end, as the interfaces
want; blocking pops are ``BLPOP``/``BRPOP``, so each pushed value wakes exactly one waiter.
"""

from __future__ import annotations

from omnicloud.providers.redis.interfaces._core import RedisCore, must_text, response_error, text

KIND = "list"


def _values(operation: str, values: tuple[str, ...]) -> None:
    if not values:
        raise ValueError(f"{operation} needs at least one value")


class ListMixin(RedisCore):
    """Lists of strings."""

    def _list(self, key: str) -> str:
        return self._key(KIND, key)

    # list_basic
    async def list_push_left(self, key: str, *values: str) -> int:
        _values("list_push_left", values)
        return int(await self._client.lpush(self._list(key), *values))

    async def list_push_right(self, key: str, *values: str) -> int:
        _values("list_push_right", values)
        return int(await self._client.rpush(self._list(key), *values))

    async def list_pop_left(self, key: str) -> str | None:
        return text(await self._client.lpop(self._list(key)))

    async def list_pop_right(self, key: str) -> str | None:
        return text(await self._client.rpop(self._list(key)))

    async def list_length(self, key: str) -> int:
        return int(await self._client.llen(self._list(key)))

    # list_indexing
    async def list_get(self, key: str, index: int) -> str | None:
        return text(await self._client.lindex(self._list(key), index))

    async def list_set(self, key: str, index: int, value: str) -> None:
        try:
            await self._client.lset(self._list(key), index, value)
        except response_error() as error:  # "no such key" or "index out of range"
            raise IndexError(f"index {index} out of range for list {key!r}: {error}") from None

    async def list_insert(
        self, key: str, pivot: str, value: str, before: bool = True
    ) -> int | None:
        where = "BEFORE" if before else "AFTER"
        length = int(await self._client.linsert(self._list(key), where, pivot, value))
        return length if length > 0 else None  # -1: no pivot, 0: no list

    async def list_remove(self, key: str, value: str, count: int = 0) -> int:
        return int(await self._client.lrem(self._list(key), count, value))

    # list_range
    async def list_range(self, key: str, start: int, stop: int) -> list[str]:
        return [must_text(v) for v in await self._client.lrange(self._list(key), start, stop)]

    async def list_trim(self, key: str, start: int, stop: int) -> None:
        await self._client.ltrim(self._list(key), start, stop)

    # list_blocking
    async def _blocking_pop(self, command: str, key: str, timeout: float) -> str | None:
        if timeout < 0:
            raise ValueError(f"timeout must be >= 0, got {timeout!r}")
        if timeout == 0:  # for Redis 0 means "wait forever"; for the interface, "do not wait"
            pop = self._client.lpop if command == "BLPOP" else self._client.rpop
            return text(await pop(self._list(key)))
        reply = await self._client.execute_command(command, self._list(key), timeout)
        return None if reply is None else text(reply[1])

    async def list_blocking_pop_left(self, key: str, timeout: float) -> str | None:
        return await self._blocking_pop("BLPOP", key, timeout)

    async def list_blocking_pop_right(self, key: str, timeout: float) -> str | None:
        return await self._blocking_pop("BRPOP", key, timeout)
