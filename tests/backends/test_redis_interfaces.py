"""The Redis store certified by every interface suite it claims, against a real redis-server.

One redis-server per test session (per xdist worker), started by the process provisioner; every
provider the suites create is a fresh ``RedisStore`` with its own random key space. The broken
variants at the end prove the suites catch a Redis backend with one realistic bug.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import pytest
from backend_suites import (
    Opener,
    assert_suite_catches,
    check_key_isolation,
    foreign_loop,
    namespaced_stores,
    process_service,
    suite_classes,
)

from omnicloud.providers.redis import RedisStore, create_store
from omnicloud.providers.redis.store import IMPLEMENTS
from service_guard import require_binary
from tck_py.interfaces._support import eventually

pytestmark = pytest.mark.services("redis")

#: A key prefix with every glob character: scans and pattern subscriptions must keep it literal.
PREFIX = "tck-backend[*?\\]:"


@contextlib.contextmanager
def _redis_server() -> Iterator[str]:
    """A redis-server started by the process provisioner; stopped (files removed) on exit."""
    require_binary("redis-server", "redis-server")
    with process_service("redis") as endpoint:
        yield str(endpoint["url"])


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The redis-server of this session (one per xdist worker)."""
    with _redis_server() as url:
        yield url


@pytest.fixture
def open_store(redis_url: str) -> Opener:
    """Fresh stores on the session's server, each with its own random key space."""
    return functools.partial(create_store, redis_url, prefix=PREFIX)


# One test class per claimed interface, e.g. TestRedisKeyValueScan(StoreProvider, suite).
globals().update(suite_classes("Redis", IMPLEMENTS, __name__))


# --- broken variants: each realistic one-bug Redis store must fail the suite that claims it ----
class GlobScan(RedisStore):
    """Passes the caller's prefix to SCAN MATCH unescaped: 'a*' also matches 'ab'."""

    async def _matching(self, prefix: str) -> list[str]:
        pattern = self._kv(prefix) + "*"
        keys = [self._user_key(k) async for k in self._client.scan_iter(match=pattern)]
        return sorted(set(keys))


class ImmortalTTL(RedisStore):
    """Forgets the PX argument: values written with a TTL never expire."""

    async def set_with_ttl(self, key: str, value: str, ttl: float) -> None:
        await self.set(key, value)


class UnwatchedTransactions(RedisStore):
    """Reads without WATCH: a commit never notices a concurrent write."""

    async def begin_transaction(self) -> Any:
        tx = await super().begin_transaction()

        async def get(key: str) -> str | None:
            return tx._writes[key] if key in tx._writes else await self.get(key)

        tx.get = get  # type: ignore[method-assign]
        return tx


class LostFanOut(RedisStore):
    """Hands each message to one subscriber of its topic instead of all of them."""

    def _dispatch(self, event: dict[str, Any]) -> None:
        if event["type"] == "message":
            topic, subscribers = self._routes.get(event["channel"].decode(), ("", set()))
            for subscriber in sorted(subscribers)[:1]:
                self._mailbox(subscriber).put(self._decode(topic, event["data"]))
        else:
            super()._dispatch(event)


class UnfilteredSubscription(RedisStore):
    """Subscribes a filtered subscriber to the whole topic: the filter is silently dropped."""

    async def subscribe_filtered(self, topic: str, subscriber_id: str, filter: Any) -> None:
        await self.subscribe(topic, subscriber_id)


class AckOnReceive(RedisStore):
    """Deletes a message when it is taken: an unacknowledged message never comes back."""

    async def queue_dequeue_with_timeout(self, queue: str, visibility_timeout: float) -> Any:
        return await self.queue_dequeue(queue)


class AgelessRetention(RedisStore):
    """Compaction applies max_records only, ignoring max_age."""

    async def stream_compact(self, stream: str) -> int:
        limit = (await self.stream_get_retention(stream)).max_records
        if limit is None:
            return 0
        return int(await self._client.xtrim(self._stream(stream), maxlen=limit, approximate=False))


class OrphanEdges(RedisStore):
    """Deletes a node but not its edges: they still show at their other end."""

    async def graph_delete_node(self, graph: str, node_id: str) -> bool:
        return bool(await self._client.hdel(self._graph_prefix(graph) + "nodes", node_id))


BROKEN: dict[str, tuple[type[RedisStore], str, str]] = {
    "GlobScan": (GlobScan, "keyvalue_scan", "test_prefix_is_literal_not_a_pattern"),
    "ImmortalTTL": (ImmortalTTL, "keyvalue_ttl", "test_value_expires"),
    "UnwatchedTransactions": (
        UnwatchedTransactions,
        "keyvalue_transactional",
        "test_conflicting_commit_is_refused_and_applies_nothing",
    ),
    "LostFanOut": (LostFanOut, "pubsub_basic", "test_every_subscriber_gets_every_message"),
    "UnfilteredSubscription": (
        UnfilteredSubscription,
        "pubsub_filtering",
        "test_only_matching_messages_arrive",
    ),
    "AckOnReceive": (
        AckOnReceive,
        "queue_visibility",
        "test_a_taken_message_is_hidden_then_returns",
    ),
    "OrphanEdges": (OrphanEdges, "graph_basic", "test_delete_node_removes_its_edges"),
    "AgelessRetention": (AgelessRetention, "stream_retention", "test_max_age_drops_old_records"),
}


async def test_instances_are_isolated_unless_they_share_a_namespace(redis_url: str) -> None:
    async with namespaced_stores(
        functools.partial(create_store, redis_url, prefix="tck-ns:")
    ) as stores:
        await check_key_isolation(*stores)


async def _named_connections(url: str, name: str) -> int:
    from redis.asyncio import Redis

    observer = Redis.from_url(url)
    try:
        clients = await observer.client_list()
        return sum(c.get("name") == name for c in clients)
    finally:
        await observer.aclose()


async def test_a_store_is_closed_on_the_loop_that_made_it(redis_url: str) -> None:
    """Closed from another loop, the store hands its close to the loop that owns its
    connections (redis-py's connections cannot be closed from a foreign loop)."""
    with foreign_loop() as on_owner:
        store = await on_owner(create_store(redis_url, client_name="tck-closing"))
        await on_owner(store.set("k", "v"))
        await on_owner(store.subscribe("topic", "subscriber"))  # a pub/sub connection too
        assert await _named_connections(redis_url, "tck-closing") > 0
        await store.aclose()

        async def all_closed() -> bool:  # the server notices a closed socket a moment later
            return await _named_connections(redis_url, "tck-closing") == 0

        assert await eventually(all_closed, 5.0)


async def test_a_server_gone_mid_run_is_an_error_not_silence() -> None:
    """Pub/sub receive must not answer "no message" when the server died: the reader's
    connection error reaches the caller, so the run reports an infrastructure failure."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    with _redis_server() as url:
        store = await create_store(url)
        await store.subscribe("topic", "subscriber")
    try:
        with pytest.raises((RedisConnectionError, OSError)):
            await store.receive("subscriber", 20)
    finally:
        await store.aclose()


@pytest.mark.parametrize("name", list(BROKEN))
async def test_a_broken_redis_store_fails_its_interface_suite(
    name: str, open_store: Opener
) -> None:
    await assert_suite_catches(open_store, *BROKEN[name])
