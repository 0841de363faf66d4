"""queue_basic, _visibility, _dead_letter, _priority and _delayed on Redis sorted sets + Lua.

Each queue is a few keys: ``ready`` (sorted set: score ``-priority``, member the message id, a
zero-padded counter, so equal priorities leave in FIFO order), ``inflight`` (sorted set: id ->
when it becomes visible again), ``delayed`` (id -> when it is due), and hashes for bodies,
delivery counts and priorities. Every operation is one Lua script, so it is atomic on the server
and uses the server's clock: it first promotes due messages, returns expired ones (or moves them
to the dead-letter queue once they used up their deliveries), then does its work.

The scripts name a dead-letter queue's keys from the queue's configuration, which Redis allows
on a single server (not on Redis Cluster, where every key must be declared up front).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnicloud.providers.redis.interfaces._core import (
    RedisCore,
    milliseconds,
    must_text,
    pack,
    positive,
    unpack,
)
from tck_py.interfaces.models import QueueMessage

# ARGV[1]: key prefix of every queue, ARGV[2]: queue name, ARGV[3...]: the operation's.
_COMMON = """
local P, Q = ARGV[1], ARGV[2]
local function k(part, queue) return P .. part .. ':' .. queue end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local function forget(queue, id)
  redis.call('HDEL', k('body', queue), id)
  redis.call('HDEL', k('count', queue), id)
  redis.call('HDEL', k('prio', queue), id)
end
local function add(queue, body, score, due)
  local id = string.format('%016d', redis.call('INCR', P .. 'seq'))
  redis.call('HSET', k('body', queue), id, body)
  redis.call('HSET', k('count', queue), id, 0)
  redis.call('HSET', k('prio', queue), id, score)
  if due then
    redis.call('ZADD', k('delayed', queue), due, id)
  else
    redis.call('ZADD', k('ready', queue), score, id)
  end
  return id
end
local function give_back(queue, id)
  redis.call('ZREM', k('inflight', queue), id)
  local target = redis.call('HGET', k('dlq', queue), 'target')
  local limit = tonumber(redis.call('HGET', k('dlq', queue), 'max') or '0')
  local count = tonumber(redis.call('HGET', k('count', queue), id) or '0')
  if target and count >= limit then
    add(target, redis.call('HGET', k('body', queue), id), 0, nil)
    forget(queue, id)
  else
    redis.call('ZADD', k('ready', queue), redis.call('HGET', k('prio', queue), id), id)
  end
end
local function reclaim(queue, now)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', k('delayed', queue), '-inf', now)) do
    redis.call('ZREM', k('delayed', queue), id)
    redis.call('ZADD', k('ready', queue), redis.call('HGET', k('prio', queue), id), id)
  end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', k('inflight', queue), '-inf', now)) do
    give_back(queue, id)
  end
end
local function view(queue, id)
  return {id, redis.call('HGET', k('body', queue), id), redis.call('HGET', k('count', queue), id)}
end
local now = now_ms()
reclaim(Q, now)
"""

# ARGV[3]: body, ARGV[4]: score (-priority), ARGV[5]: delay in ms (0: ready now)
_ENQUEUE = (
    _COMMON
    + """
local delay = tonumber(ARGV[5])
return add(Q, ARGV[3], ARGV[4], delay > 0 and now + delay or nil)
"""
)

# ARGV[3]: visibility timeout in ms, 0 to remove the message for good
_TAKE = (
    _COMMON
    + """
local head = redis.call('ZRANGE', k('ready', Q), 0, 0)[1]
if not head then return false end
redis.call('ZREM', k('ready', Q), head)
redis.call('HINCRBY', k('count', Q), head, 1)
local message = view(Q, head)
local hide = tonumber(ARGV[3])
if hide > 0 then
  redis.call('ZADD', k('inflight', Q), now + hide, head)
else
  forget(Q, head)
end
return message
"""
)

_PEEK = (
    _COMMON
    + """
local head = redis.call('ZRANGE', k('ready', Q), 0, 0)[1]
if not head then return false end
return view(Q, head)
"""
)

# ARGV[3]: message id, ARGV[4]: action (extend|release|ack), ARGV[5]: new timeout in ms
_SETTLE = (
    _COMMON
    + """
local id, action = ARGV[3], ARGV[4]
if not redis.call('ZSCORE', k('inflight', Q), id) then return 0 end
if action == 'extend' then
  redis.call('ZADD', k('inflight', Q), now + tonumber(ARGV[5]), id)
elseif action == 'release' then
  give_back(Q, id)
else
  redis.call('ZREM', k('inflight', Q), id)
  forget(Q, id)
end
return 1
"""
)

_DEAD_LETTERS = (
    _COMMON
    + """
local target = redis.call('HGET', k('dlq', Q), 'target')
if not target then return {} end
reclaim(target, now)
local out = {}
for _, id in ipairs(redis.call('ZRANGE', k('ready', target), 0, -1)) do
  out[#out + 1] = view(target, id)
end
return out
"""
)

_SCHEDULED = (
    _COMMON
    + """
return redis.call('ZCARD', k('delayed', Q))
"""
)


def _message(reply: list[Any]) -> QueueMessage:
    message_id, body, count = reply
    header, payload = unpack(body)
    return QueueMessage(must_text(message_id), payload, header["m"], int(count))


class QueueMixin(RedisCore):
    """Work queues with visibility timeouts, dead letters, priorities and delays."""

    async def _run(self, source: str, queue: str, *args: Any) -> Any:
        return await self._script(source)(keys=[], args=[self._key("queue", ""), queue, *args])

    async def _enqueue(
        self,
        queue: str,
        payload: bytes,
        metadata: Mapping[str, str] | None,
        priority: int = 0,
        delay_ms: int = 0,
    ) -> str:
        body = pack(payload, metadata)
        return must_text(await self._run(_ENQUEUE, queue, body, -int(priority), delay_ms))

    async def _take(self, queue: str, hide_ms: int) -> QueueMessage | None:
        reply = await self._run(_TAKE, queue, hide_ms)
        return None if reply is None else _message(reply)

    # queue_basic
    async def queue_enqueue(
        self, queue: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        return await self._enqueue(queue, payload, metadata)

    async def queue_dequeue(self, queue: str) -> QueueMessage | None:
        return await self._take(queue, 0)

    async def queue_peek(self, queue: str) -> QueueMessage | None:
        reply = await self._run(_PEEK, queue)
        return None if reply is None else _message(reply)

    # queue_visibility
    async def queue_dequeue_with_timeout(
        self, queue: str, visibility_timeout: float
    ) -> QueueMessage | None:
        positive("visibility_timeout", visibility_timeout)
        return await self._take(queue, milliseconds(visibility_timeout))

    async def queue_extend_visibility(
        self, queue: str, message_id: str, visibility_timeout: float
    ) -> bool:
        positive("visibility_timeout", visibility_timeout)
        ms = milliseconds(visibility_timeout)
        return bool(await self._run(_SETTLE, queue, message_id, "extend", ms))

    async def queue_release(self, queue: str, message_id: str) -> bool:
        return bool(await self._run(_SETTLE, queue, message_id, "release", 0))

    async def queue_ack(self, queue: str, message_id: str) -> bool:
        return bool(await self._run(_SETTLE, queue, message_id, "ack", 0))

    # queue_dead_letter
    async def queue_configure_dead_letter(
        self, queue: str, dead_letter_queue: str, max_deliveries: int
    ) -> None:
        positive("max_deliveries", max_deliveries)
        if dead_letter_queue == queue:
            raise ValueError("a queue cannot be its own dead-letter queue")
        key = self._key("queue", "") + "dlq:" + queue
        await self._client.hset(key, mapping={"target": dead_letter_queue, "max": max_deliveries})

    async def queue_get_dead_letters(self, queue: str) -> list[QueueMessage]:
        return [_message(r) for r in await self._run(_DEAD_LETTERS, queue)]

    # queue_priority
    async def queue_enqueue_with_priority(
        self, queue: str, payload: bytes, priority: int, metadata: Mapping[str, str] | None = None
    ) -> str:
        return await self._enqueue(queue, payload, metadata, priority)

    # queue_delayed
    async def queue_enqueue_delayed(
        self, queue: str, payload: bytes, delay: float, metadata: Mapping[str, str] | None = None
    ) -> str:
        if not delay >= 0:
            raise ValueError(f"delay must be >= 0, got {delay!r}")
        delay_ms = milliseconds(delay) if delay > 0 else 0
        return await self._enqueue(queue, payload, metadata, delay_ms=delay_ms)

    async def queue_scheduled_count(self, queue: str) -> int:
        return int(await self._run(_SCHEDULED, queue))
