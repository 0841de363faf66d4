"""keyvalue_basic, _scan, _ttl, _transactional, _batch and _cas on Redis strings.

TTLs are Redis's own (``SET PX``, ``PEXPIRE``, ``PTTL``, ``PERSIST``); scans use ``SCAN MATCH``
with the caller's prefix escaped, so it stays a literal; transactions are optimistic with
``WATCH``/``MULTI``/``EXEC``; compare-and-swap is a Lua script, atomic on the server.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from omnicloud.providers.redis.interfaces._core import (
    RedisCore,
    milliseconds,
    must_text,
    positive,
    text,
    watch_error,
)
from tck_py.interfaces.errors import TransactionConflictError

KIND = "kv"
_GLOB_SPECIAL = "\\*?[]"

# ARGV: mode ('absent' or 'equals'), expected, new value.
_CAS = """
local current = redis.call('GET', KEYS[1])
if ARGV[1] == 'absent' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3])
return 1
"""

_CAD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def glob_literal(text_: str) -> str:
    """``text_`` escaped for Redis's glob MATCH: '*', '?', '[', ']' and '\\' match themselves."""
    return "".join("\\" + c if c in _GLOB_SPECIAL else c for c in text_)


class RedisTransaction:
    """An optimistic transaction: reads WATCH their keys, writes are buffered until commit.

    Commit sends the buffered writes in ``MULTI``/``EXEC``; Redis refuses the ``EXEC`` when a
    watched key changed since it was read, and the commit raises ``TransactionConflictError``
    having applied nothing. The transaction holds one pooled connection until it ends.
    """

    def __init__(self, store: KeyValueMixin) -> None:
        self._store = store
        self._pipe = store._client.pipeline(transaction=True)
        self._writes: dict[str, str | None] = {}
        self._open = True

    def _check(self) -> None:
        if not self._open:
            raise RuntimeError("the transaction has already been committed or rolled back")

    async def get(self, key: str) -> str | None:
        self._check()
        if key in self._writes:
            return self._writes[key]
        redis_key = self._store._kv(key)
        await self._pipe.watch(redis_key)
        return text(await self._pipe.get(redis_key))

    async def set(self, key: str, value: str) -> None:
        self._check()
        self._writes[key] = value

    async def delete(self, key: str) -> None:
        self._check()
        self._writes[key] = None

    async def commit(self) -> None:
        self._check()
        self._open = False
        try:
            self._pipe.multi()
            for key, value in self._writes.items():
                if value is None:
                    self._pipe.delete(self._store._kv(key))
                else:
                    self._pipe.set(self._store._kv(key), value)
            await self._pipe.execute()
        except watch_error():
            raise TransactionConflictError(
                "a key this transaction read was changed before it committed"
            ) from None
        finally:
            await self._pipe.reset()

    async def rollback(self) -> None:
        self._check()
        self._open = False
        await self._pipe.reset()


class KeyValueMixin(RedisCore):
    """The key-value interfaces: string values under string keys."""

    def _kv(self, key: str) -> str:
        return self._key(KIND, key)

    def _user_key(self, redis_key: bytes) -> str:
        return must_text(redis_key)[len(self._kv("")) :]

    # keyvalue_basic
    async def set(self, key: str, value: str) -> None:
        await self._client.set(self._kv(key), value)

    async def get(self, key: str) -> str | None:
        return text(await self._client.get(self._kv(key)))

    async def delete(self, key: str) -> bool:
        return bool(await self._client.delete(self._kv(key)))

    async def exists(self, key: str) -> bool:
        return bool(await self._client.exists(self._kv(key)))

    # keyvalue_scan
    async def _matching(self, prefix: str) -> list[str]:
        pattern = glob_literal(self._kv(prefix)) + "*"
        keys = [self._user_key(k) async for k in self._client.scan_iter(match=pattern, count=1000)]
        return sorted(set(keys))

    async def scan_keys(self, prefix: str = "", limit: int | None = None) -> list[str]:
        keys = await self._matching(prefix)
        return keys if limit is None else keys[: max(limit, 0)]

    async def scan(self, prefix: str = "", limit: int | None = None) -> list[tuple[str, str]]:
        keys = await self.scan_keys(prefix, limit)
        if not keys:
            return []
        values = await self._client.mget([self._kv(k) for k in keys])
        # a key that expired or was deleted between SCAN and MGET is simply gone
        return [(k, must_text(v)) for k, v in zip(keys, values, strict=True) if v is not None]

    async def count(self, prefix: str = "") -> int:
        return len(await self._matching(prefix))

    # keyvalue_ttl
    async def set_with_ttl(self, key: str, value: str, ttl: float) -> None:
        positive("ttl", ttl)
        await self._client.set(self._kv(key), value, px=milliseconds(ttl))

    async def expire(self, key: str, ttl: float) -> bool:
        if not ttl > 0:
            return bool(await self._client.delete(self._kv(key)))
        return bool(await self._client.pexpire(self._kv(key), milliseconds(ttl)))

    async def get_ttl(self, key: str) -> float | None:
        remaining = int(await self._client.pttl(self._kv(key)))
        if remaining == -2:
            return None
        if remaining == -1:
            return math.inf
        return remaining / 1000

    async def persist(self, key: str) -> bool:
        return bool(await self._client.persist(self._kv(key)))

    # keyvalue_transactional
    async def begin_transaction(self) -> RedisTransaction:
        return RedisTransaction(self)

    # keyvalue_batch
    async def batch_set(self, items: Mapping[str, str]) -> None:
        if items:
            await self._client.mset({self._kv(k): v for k, v in items.items()})

    async def batch_get(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        return [text(v) for v in await self._client.mget([self._kv(k) for k in keys])]

    async def batch_delete(self, keys: Sequence[str]) -> int:
        if not keys:
            return 0
        return int(await self._client.delete(*(self._kv(k) for k in dict.fromkeys(keys))))

    # keyvalue_cas
    async def compare_and_swap(self, key: str, expected: str | None, value: str) -> bool:
        mode = "absent" if expected is None else "equals"
        args: list[Any] = [mode, expected or "", value]
        return bool(await self._script(_CAS)(keys=[self._kv(key)], args=args))

    async def compare_and_delete(self, key: str, expected: str) -> bool:
        return bool(await self._script(_CAD)(keys=[self._kv(key)], args=[expected]))
