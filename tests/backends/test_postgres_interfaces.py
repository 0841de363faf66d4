"""The PostgreSQL store certified by every interface suite it claims, against a real server.

One PostgreSQL server per test session (per xdist worker), started by the process provisioner;
every provider the suites create is a fresh ``PostgresStore`` with its own namespace in the
session's schema. The broken variants at the end prove the suites catch a PostgreSQL backend
with one realistic bug each.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import psycopg
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
from psycopg.types.json import Jsonb

from omnicloud.providers.postgres import PostgresStore, create_store
from omnicloud.providers.postgres.store import IMPLEMENTS, TABLES
from service_guard import require_binary

pytestmark = pytest.mark.services("postgres")


@pytest.fixture(scope="session")
def postgres_endpoint() -> Iterator[dict[str, Any]]:
    """A PostgreSQL server of this session (per xdist worker): its ``url`` and ``schema``."""
    require_binary("initdb", "postgresql")
    with process_service("postgres", open_state=True) as endpoint:
        yield endpoint


@pytest.fixture
def open_store(postgres_endpoint: dict[str, Any]) -> Opener:
    """Fresh stores on the session's server, each with its own namespace in its schema."""
    schema = str(postgres_endpoint.get("schema") or "omnicloud_backend")
    return functools.partial(create_store, str(postgres_endpoint["url"]), schema=schema)


# One test class per claimed interface, e.g. TestPostgresQueueVisibility(StoreProvider, suite).
globals().update(suite_classes("Postgres", IMPLEMENTS, __name__))


# -- broken PostgreSQL stores the suites must catch ---------------------------------------------


def _nested(filter_: dict[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` -> ``{"a": {"b": 1}}``, the shape a containment query needs."""
    out: dict[str, Any] = {}
    for dotted, value in filter_.items():
        *parents, leaf = dotted.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


class ContainmentFilters(PostgresStore):
    """Equality as JSONB containment (``@>``): ``{"tags": ["a"]}`` matches ``["a", "b"]``."""

    async def doc_find(
        self,
        collection: str,
        filter: Mapping[str, Any],
        limit: int | None = None,
        sort: Sequence[tuple[str, int]] | None = None,
    ) -> list[dict[str, Any]]:
        plain = {k: v for k, v in filter.items() if not _operators(v)}
        if not plain or len(plain) != len(filter):
            return await super().doc_find(collection, filter, limit, sort)
        rows = await self._fetchall(
            "SELECT doc FROM ocs_docs WHERE ns = %s AND collection = %s AND doc @> %s"
            " ORDER BY seq LIMIT %s",
            (self._ns, collection, Jsonb(_nested(plain)), limit),
        )
        return [dict(row[0]) for row in rows]


def _operators(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and all(str(k)[:1] == "$" for k in value)


class LostDeadLetters(PostgresStore):
    """Spent messages are never moved: a poison message is redelivered forever."""

    async def _reclaim(self, queue: str) -> None:
        return None

    async def queue_release(self, queue: str, message_id: str) -> bool:
        return (
            await self._execute(
                "UPDATE ocs_queue SET state = 'ready', visible_at = 0 WHERE ns = %s AND queue = %s"
                " AND id = %s AND state = 'inflight'",
                (self._ns, queue, int(message_id)),
            )
            == 1
        )


class LateAcks(PostgresStore):
    """Acknowledges a delivery whose visibility timeout already ran out."""

    async def queue_ack(self, queue: str, message_id: str) -> bool:
        return (
            await self._execute(
                "DELETE FROM ocs_queue WHERE ns = %s AND queue = %s AND id = %s"
                " AND state = 'inflight'",
                (self._ns, queue, int(message_id)),
            )
            == 1
        )


class ExpiredRowsReadable(PostgresStore):
    """Reads ignore ``expires_at``: an expired key stays readable until something deletes it."""

    async def get(self, key: str) -> str | None:
        row = await self._fetchone(
            "SELECT v FROM ocs_kv WHERE ns = %s AND k = %s", (self._ns, key.encode())
        )
        return None if row is None else bytes(row[0]).decode()


class UncheckedCommits(PostgresStore):
    """Commits without comparing the versions it read: the last writer silently wins."""

    async def _check_versions(self, conn: Any, read: dict[str, int | None]) -> None:
        return None


class CollatedRanks(PostgresStore):
    """Breaks score ties by the database collation instead of by code point."""

    async def zset_range_by_lex(self, key: str, lower: str | None, upper: str | None) -> list[str]:
        rows = await self._fetchall(
            "SELECT member FROM ocs_zset WHERE ns = %s AND key = %s ORDER BY lower(member)",
            (self._ns, key),
        )
        found = [row[0] for row in rows]
        return [m for m in found if (lower is None or m >= lower) and (upper is None or m <= upper)]


class RedeliveringGroups(PostgresStore):
    """Consumer groups that never advance their cursor: every read starts over."""

    async def stream_read_group(
        self, stream: str, group: str, consumer: str, limit: int = 10
    ) -> list[Any]:
        info = await self.stream_group_info(stream, group)
        return await self.stream_read(stream, info.last_delivered_offset + 1, limit)


class IgnoredFilters(PostgresStore):
    """A filtered subscription that receives every message of its topic."""

    async def subscribe_filtered(
        self, topic: str, subscriber_id: str, filter: Mapping[str, str]
    ) -> None:
        await self.subscribe(topic, subscriber_id)


BROKEN: dict[str, tuple[type[PostgresStore], str, str]] = {
    "ContainmentFilters": (
        ContainmentFilters,
        "document_query",
        "test_list_and_object_values_match_exactly",
    ),
    "LostDeadLetters": (
        LostDeadLetters,
        "queue_dead_letter",
        "test_exactly_max_deliveries_then_dead_letter",
    ),
    "LateAcks": (LateAcks, "queue_visibility", "test_ack_after_the_timeout_is_refused"),
    "ExpiredRowsReadable": (ExpiredRowsReadable, "keyvalue_ttl", "test_value_expires"),
    "UncheckedCommits": (
        UncheckedCommits,
        "keyvalue_transactional",
        "test_conflicting_commit_is_refused_and_applies_nothing",
    ),
    "CollatedRanks": (CollatedRanks, "sortedset_lex", "test_unbounded_is_code_point_order"),
    "IgnoredFilters": (IgnoredFilters, "pubsub_filtering", "test_only_matching_messages_arrive"),
    "RedeliveringGroups": (
        RedeliveringGroups,
        "stream_consumer_groups",
        "test_consumers_split_the_records",
    ),
}


@pytest.mark.parametrize("name", list(BROKEN))
async def test_a_broken_postgres_store_fails_its_interface_suite(
    name: str, open_store: Opener
) -> None:
    await assert_suite_catches(open_store, *BROKEN[name])


# -- isolation and lifecycle -------------------------------------------------------------------


async def test_instances_are_isolated_unless_they_share_a_namespace(
    postgres_endpoint: dict[str, Any],
) -> None:
    url = str(postgres_endpoint["url"])
    async with namespaced_stores(
        functools.partial(create_store, url, "omnicloud_isolation")
    ) as stores:
        first, second, _, _ = stores
        await check_key_isolation(*stores)
        await first.queue_enqueue("q", b"first")
        assert await second.queue_dequeue("q") is None


async def test_a_private_store_leaves_no_rows_or_indexes_behind(
    postgres_endpoint: dict[str, Any],
) -> None:
    url, schema = str(postgres_endpoint["url"]), "omnicloud_cleanup"
    store = await create_store(url, schema)
    await store.set("k", "v")
    await store.doc_insert("c", {"_id": "a", "email": "x"})
    await store.doc_create_index("c", ["email"], unique=True)
    await store.graph_add_node("g", "a")
    await store.aclose()
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await conn.execute(f'SET search_path TO "{schema}"')
        counts = []
        for table in TABLES:
            cur = await conn.execute(f"SELECT count(*) FROM {table}")
            counts.append((table, (await cur.fetchone() or [0])[0]))
        cur = await conn.execute(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = %s"
            " AND indexname LIKE 'ocs_doc_ix_%%'",
            (schema,),
        )
        indexes = (await cur.fetchone() or [0])[0]
    assert [(t, n) for t, n in counts if n] == []
    assert indexes == 0


async def test_a_store_is_closed_on_the_loop_that_made_it(
    postgres_endpoint: dict[str, Any],
) -> None:
    """Closed from another loop, the store hands its close to the loop that owns its
    connection (psycopg's async connection cannot be used from a foreign loop)."""
    with foreign_loop() as on_owner:
        store = await on_owner(create_store(str(postgres_endpoint["url"]), "omnicloud_loops"))
        await on_owner(store.set("k", "v"))
        await store.aclose()
        assert store._conn.closed


async def test_connections_lost_mid_run_are_errors_not_silence(
    postgres_endpoint: dict[str, Any],
) -> None:
    """Pub/sub receive must not answer "no message" when the server dropped the store's
    connections (as when it dies or restarts): the listener's connection error reaches the
    caller, so the run reports an infrastructure failure."""
    url = str(postgres_endpoint["url"])
    store = await create_store(url, "omnicloud_gone")
    await store.subscribe("topic", "subscriber")
    await store.publish("topic", b"before")
    assert await store.receive("subscriber", 5) is not None
    assert store._listener is not None
    pids = [store._conn.info.backend_pid, store._listener.conn.info.backend_pid]
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        await admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) pid", (pids,))
    try:
        with pytest.raises(psycopg.OperationalError):
            await store.receive("subscriber", 5)
        with pytest.raises(psycopg.OperationalError):
            await store.get("k")
    finally:
        with contextlib.suppress(psycopg.Error):
            await store.aclose()
