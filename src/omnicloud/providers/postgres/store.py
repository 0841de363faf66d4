"""The PostgreSQL interface store: one object implementing every interface PostgreSQL can.

```toml
[providers.postgres]
factory = "omnicloud.providers.postgres:create_store"
options = { url = "{services.postgres.url}", schema = "{services.postgres.schema}" }
services = ["postgres"]
implements = ["keyvalue_basic", "queue_basic", "document_query", "..."]
```

Every store keeps its rows under a namespace (a random one unless ``namespace`` is given), so the
stores a suite creates never see each other's data while sharing the worker's ``schema`` and its
tables. A store with a generated namespace removes its rows and indexes when closed.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from omnicloud.providers.postgres._base import DEFAULT_URL, connect, quote_ident
from omnicloud.providers.postgres._client import psycopg_module
from omnicloud.providers.postgres.interfaces import (
    document,
    graph,
    keyvalue,
    lists,
    pubsub,
    queue,
    sets,
    sortedsets,
    streams,
    timeseries,
)
from omnicloud.providers.postgres.interfaces.document import DocumentMixin
from omnicloud.providers.postgres.interfaces.document_sql import literal
from omnicloud.providers.postgres.interfaces.graph import GraphMixin
from omnicloud.providers.postgres.interfaces.keyvalue import KeyValueMixin
from omnicloud.providers.postgres.interfaces.kv_transactions import KeyValueTransactionsMixin
from omnicloud.providers.postgres.interfaces.lists import ListMixin
from omnicloud.providers.postgres.interfaces.pubsub import PubSubMixin
from omnicloud.providers.postgres.interfaces.queue import QueueMixin
from omnicloud.providers.postgres.interfaces.sets import SetMixin
from omnicloud.providers.postgres.interfaces.sortedsets import SortedSetMixin
from omnicloud.providers.postgres.interfaces.streams import StreamMixin
from omnicloud.providers.postgres.interfaces.timeseries import TimeSeriesMixin

#: Every interface this store implements and certifies (catalog order).
IMPLEMENTS: tuple[str, ...] = (
    "keyvalue_basic",
    "keyvalue_scan",
    "keyvalue_ttl",
    "keyvalue_transactional",
    "keyvalue_batch",
    "keyvalue_cas",
    "pubsub_basic",
    "pubsub_persistent",
    "pubsub_filtering",
    "pubsub_ordering",
    "stream_basic",
    "stream_consumer_groups",
    "stream_replay",
    "stream_retention",
    "stream_partitioning",
    "queue_basic",
    "queue_visibility",
    "queue_dead_letter",
    "queue_priority",
    "queue_delayed",
    "list_basic",
    "list_indexing",
    "list_range",
    "list_blocking",
    "set_basic",
    "set_operations",
    "set_cardinality",
    "set_random",
    "sortedset_basic",
    "sortedset_range",
    "sortedset_rank",
    "sortedset_operations",
    "sortedset_lex",
    "timeseries_basic",
    "timeseries_aggregation",
    "timeseries_retention",
    "timeseries_interpolation",
    "graph_basic",
    "graph_traversal",
    "graph_query",
    "graph_analytics",
    "document_basic",
    "document_query",
    "document_indexing",
)
#: Tables in dependency order (graph edges after nodes).
DDL: tuple[str, ...] = (
    *keyvalue.DDL,
    *queue.DDL,
    *timeseries.DDL,
    *document.DDL,
    *graph.DDL,
    *sets.DDL,
    *sortedsets.DDL,
    *lists.DDL,
    *streams.DDL,
    *pubsub.DDL,
)
#: Created last by ``DDL``: when it exists, so do all the others.
LAST_TABLE = "ocs_pubsub_durable"
#: Tables holding a namespace's rows, emptied when a private store closes.
TABLES = (
    "ocs_kv",
    "ocs_queue",
    "ocs_queue_dead_letter",
    "ocs_ts",
    "ocs_ts_retention",
    "ocs_docs",
    "ocs_graph_edges",
    "ocs_graph_nodes",
    "ocs_set",
    "ocs_zset",
    "ocs_list",
    *streams.TABLES,
    *pubsub.TABLES,
)


class PostgresStore(
    KeyValueMixin,
    KeyValueTransactionsMixin,
    QueueMixin,
    TimeSeriesMixin,
    DocumentMixin,
    GraphMixin,
    SetMixin,
    SortedSetMixin,
    ListMixin,
    StreamMixin,
    PubSubMixin,
):
    """Key-value, stream, queue, list, set, sorted-set, time-series, graph and document
    interfaces (every one PostgreSQL can honestly implement; see docs/backends/postgres.md)."""

    def __init__(
        self, conn: Any, ns: str, private: bool, url: str = DEFAULT_URL, schema: str = "public"
    ) -> None:
        super().__init__(conn, ns)
        self._private = private
        self._url = url
        self._schema = schema
        self._loop = asyncio.get_running_loop()
        self._init_pubsub()

    async def aclose(self) -> None:
        """Close the connection (after removing a private namespace's rows and indexes).

        psycopg's async connection belongs to the loop that opened it: called from another
        loop, the close runs on that one.
        """
        if self._conn.closed:
            return
        if asyncio.get_running_loop() is not self._loop:
            future = asyncio.run_coroutine_threadsafe(self.aclose(), self._loop)
            await asyncio.wrap_future(future)
            return
        try:
            await self._close_listener()
            if self._private:
                await self._purge()
        finally:
            await self._conn.close()

    close = aclose

    async def _purge(self) -> None:
        await self._drop_document_indexes()
        # one round trip: a parameterless multi-statement query runs as one transaction
        ns = literal(self._ns)
        await self._execute("; ".join(f"DELETE FROM {table} WHERE ns = {ns}" for table in TABLES))


async def create_store(
    url: str = DEFAULT_URL, schema: str = "public", namespace: str | None = None
) -> PostgresStore:
    """Factory for ``factory = "omnicloud.providers.postgres:create_store"``.

    ``namespace``: share data with every store given the same one (default: a private one).
    """
    conn = await psycopg_module().AsyncConnection.connect(url, autocommit=True)
    try:
        # one round trip when the tables exist (every store but the first of a schema)
        cur = await conn.execute(
            "SELECT set_config('search_path', %s, false), to_regclass(%s) IS NULL",
            (quote_ident(schema), f"{quote_ident(schema)}.{LAST_TABLE}"),
        )
        missing = (await cur.fetchone())[1]
    except BaseException:
        await conn.close()
        raise
    if missing:
        await conn.close()
        conn = await connect(url, schema, DDL)
    private = namespace is None
    return PostgresStore(conn, namespace or uuid.uuid4().hex, private, url, schema)
