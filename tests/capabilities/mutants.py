"""Realistic one-bug variants of MemStore: each must be caught by its interface's suite.

``MUTANTS`` maps a name to (interface, provider class). A suite that lets one of these pass is
not strict enough.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from omnicloud.providers.memory.memstore import MemStore


class GlobScan(MemStore):  # treats the prefix as a pattern: 'a*' matches 'ab'
    async def scan_keys(self, prefix: str = "", limit: int | None = None) -> list[str]:
        keys = await super().scan_keys(prefix.rstrip("*?[."), None)
        return keys if limit is None else keys[:limit]


class UnsortedScan(MemStore):  # returns keys in insertion order
    async def scan_keys(self, prefix: str = "", limit: int | None = None) -> list[str]:
        keys = [k for k in self._kv if k.startswith(prefix)]
        return keys if limit is None else keys[:limit]


class StickyTTL(MemStore):  # a plain set keeps the old expiry
    async def set(self, key: str, value: str) -> None:
        expiry = self._expiry.get(key)
        await super().set(key, value)
        if expiry is not None:
            self._expiry[key] = expiry


class LazyCAS(MemStore):  # read, await, write: lost updates under concurrency
    async def compare_and_swap(self, key: str, expected: str | None, value: str) -> bool:
        current = self._read(key)
        await asyncio.sleep(0)
        if current != expected:
            return False
        self._write(key, value)
        return True


class BlindTransactions(MemStore):  # commit never checks what was read
    def _version(self, key: str) -> int:
        return 0


class PartialBatchCount(MemStore):  # counts requested keys, not existing ones
    async def batch_delete(self, keys: Any) -> int:
        await super().batch_delete(keys)
        return len(keys)


class EchoToUnsubscribed(MemStore):  # unsubscribe is a no-op
    async def unsubscribe(self, topic: str, subscriber_id: str) -> None:
        return None


class ZeroTokenWildcard(MemStore):  # 'a.>' also matches 'a'
    def _deliver(self, message: Any) -> None:
        super()._deliver(message)
        for pattern, subscribers in self._patterns.items():
            if pattern.endswith(".>") and message.topic == pattern[:-2]:
                for subscriber in subscribers:
                    self._mailboxes.setdefault(subscriber, []).append(message)


class RewindingDurable(MemStore):  # subscribing again starts over
    async def subscribe_durable(self, topic: str, durable_name: str) -> None:
        self._cursors[(topic, durable_name)] = 0


class OneBasedOffsets(MemStore):  # offsets start at 1
    async def stream_append(self, stream: str, payload: bytes, headers: Any = None) -> int:
        log = self._stream(stream)
        if log.next_offset == 0:
            log.next_offset = 1
        return await super().stream_append(stream, payload, headers)


class SharedGroupCursor(MemStore):  # every consumer of a group gets every record
    async def stream_read_group(
        self, stream: str, group: str, consumer: str, limit: int = 10
    ) -> list[Any]:
        state = self._group(stream, group)
        start = state.cursor
        records = await super().stream_read_group(stream, group, consumer, limit)
        if consumer != "c1":
            state.cursor = start
        return records


class RenumberingCompaction(MemStore):  # compaction renumbers offsets from 0
    async def stream_compact(self, stream: str) -> int:
        removed = await super().stream_compact(stream)
        log = self._stream(stream)
        log.records = [
            type(r)(i, r.payload, r.headers, r.timestamp) for i, r in enumerate(log.records)
        ]
        return removed


class LifoQueue(MemStore):  # dequeues the newest message
    def _visible(self, name: str) -> list[Any]:
        return list(reversed(super()._visible(name)))


class ForgetfulVisibility(MemStore):  # a hidden message is lost when its timeout expires
    def _reclaim(self, name: str) -> None:
        now = time.monotonic()
        entries = self._queue(name).entries
        for key in [
            k
            for k, e in entries.items()
            if e.invisible_until is not None and e.invisible_until <= now
        ]:
            del entries[key]


class EagerDeadLetter(MemStore):  # dead-letters one delivery early
    async def queue_configure_dead_letter(
        self, queue: str, dead_letter_queue: str, max_deliveries: int
    ) -> None:
        await super().queue_configure_dead_letter(
            queue, dead_letter_queue, max(1, max_deliveries - 1)
        )


class EarlyDelay(MemStore):  # delays are halved
    async def queue_enqueue_delayed(
        self, queue: str, payload: bytes, delay: float, metadata: Any = None
    ) -> str:
        return await super().queue_enqueue_delayed(queue, payload, delay / 2, metadata)


class LowPriorityFirst(MemStore):
    async def queue_enqueue_with_priority(
        self, queue: str, payload: bytes, priority: int, metadata: Any = None
    ) -> str:
        return await super().queue_enqueue_with_priority(queue, payload, -priority, metadata)


class PushLeftInOrder(MemStore):  # list_push_left(k, a, b) stores a, b instead of b, a
    async def list_push_left(self, key: str, *values: str) -> int:
        return await super().list_push_left(key, *reversed(values))


class ExclusiveRange(MemStore):  # Python slices instead of inclusive ranges
    async def list_range(self, key: str, start: int, stop: int) -> list[str]:
        return list(self._lists.get(key, []))[start:stop]


class NonBlockingPop(MemStore):
    async def list_blocking_pop_left(self, key: str, timeout: float) -> str | None:
        return await self.list_pop_left(key)


class SetAddCountsAll(MemStore):
    async def set_add(self, key: str, *members: str) -> int:
        await super().set_add(key, *members)
        return len(members)


class RandomAlwaysFirst(MemStore):
    async def set_random_member(self, key: str) -> str | None:
        members = sorted(self._members(key))
        return members[0] if members else None


class InsertionOrderTies(MemStore):  # equal scores keep insertion order, not member order
    def _ordered(self, key: str) -> list[tuple[str, float]]:
        return sorted(self._zsets.get(key, {}).items(), key=lambda item: item[1])


class UnionIgnoresAggregate(MemStore):
    async def zset_union(self, *keys: str, aggregate: str = "sum") -> list[tuple[str, float]]:
        return await super().zset_union(*keys)


class HalfOpenQuery(MemStore):  # end bound excluded
    async def ts_query(self, series: str, start: float, end: float) -> list[tuple[float, float]]:
        return [(t, v) for t, v in self._points(series) if start <= t < end]


class UnalignedBuckets(MemStore):  # buckets start at the first point instead of multiples
    async def ts_aggregate(
        self, series: str, start: float, end: float, bucket: float, function: str
    ) -> list[tuple[float, float]]:
        points = await super().ts_aggregate(series, start, end, bucket, function)
        return [(t + 1, v) for t, v in points]


class DanglingEdges(MemStore):  # deleting a node keeps its edges
    async def graph_delete_node(self, graph: str, node_id: str) -> bool:
        return self._graph(graph).nodes.pop(node_id, None) is not None


class UnorderedTraversal(MemStore):
    async def graph_traverse_bfs(
        self, graph: str, start: str, max_depth: int | None = None
    ) -> list[str]:
        order = await super().graph_traverse_bfs(graph, start, max_depth)
        return [order[0], *reversed(order[1:])]


class ClobberingInsert(MemStore):  # an existing _id is overwritten
    async def doc_insert(self, collection: str, document: Any) -> str:
        doc_id = str(document.get("_id", "")) or None
        if doc_id is not None:
            self._collection(collection).pop(doc_id, None)
        return await super().doc_insert(collection, document)


class ReplacingUpdate(MemStore):  # update replaces the whole document
    async def doc_update(self, collection: str, doc_id: str, changes: Any) -> bool:
        docs = self._collection(collection)
        if doc_id not in docs:
            return False
        docs[doc_id] = {"_id": doc_id, **changes}
        return True


class IgnoredOperators(MemStore):  # unknown operators match everything
    async def doc_find(
        self, collection: str, filter: Any, limit: int | None = None, sort: Any = None
    ) -> list[Any]:
        kept = {
            k: v
            for k, v in filter.items()
            if not (isinstance(v, dict) and any(op == "$regex" for op in v))
        }
        return await super().doc_find(collection, kept, limit, sort)


class UniqueNotEnforced(MemStore):
    async def doc_create_index(self, collection: str, fields: Any, unique: bool = False) -> str:
        return await super().doc_create_index(collection, fields, False)


MUTANTS: dict[str, tuple[str, type]] = {
    cls.__name__: (interface, cls)
    for interface, cls in [
        ("keyvalue_scan", GlobScan),
        ("keyvalue_scan", UnsortedScan),
        ("keyvalue_ttl", StickyTTL),
        ("keyvalue_cas", LazyCAS),
        ("keyvalue_transactional", BlindTransactions),
        ("keyvalue_batch", PartialBatchCount),
        ("pubsub_basic", EchoToUnsubscribed),
        ("pubsub_wildcards", ZeroTokenWildcard),
        ("pubsub_persistent", RewindingDurable),
        ("stream_basic", OneBasedOffsets),
        ("stream_consumer_groups", SharedGroupCursor),
        ("stream_retention", RenumberingCompaction),
        ("queue_basic", LifoQueue),
        ("queue_visibility", ForgetfulVisibility),
        ("queue_dead_letter", EagerDeadLetter),
        ("queue_delayed", EarlyDelay),
        ("queue_priority", LowPriorityFirst),
        ("list_basic", PushLeftInOrder),
        ("list_range", ExclusiveRange),
        ("list_blocking", NonBlockingPop),
        ("set_basic", SetAddCountsAll),
        ("set_random", RandomAlwaysFirst),
        ("sortedset_range", InsertionOrderTies),
        ("sortedset_operations", UnionIgnoresAggregate),
        ("timeseries_basic", HalfOpenQuery),
        ("timeseries_aggregation", UnalignedBuckets),
        ("graph_basic", DanglingEdges),
        ("graph_traversal", UnorderedTraversal),
        ("document_basic", ClobberingInsert),
        ("document_basic", ReplacingUpdate),
        ("document_query", IgnoredOperators),
        ("document_indexing", UniqueNotEnforced),
    ]
}
