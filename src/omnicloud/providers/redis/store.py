"""One Redis-backed object implementing every catalog interface Redis can honestly serve.

```toml
[providers.redis]
factory = "omnicloud.providers.redis:create_store"
options = { url = "{services.redis.url}", prefix = "{services.redis.prefix}" }
services = ["redis"]
implements = [...]   # IMPLEMENTS below; docs/backends/redis.md says why the others are absent
```
"""

from __future__ import annotations

from typing import Any

from omnicloud.providers.redis._base import DEFAULT_URL
from omnicloud.providers.redis.interfaces._core import connect_bytes
from omnicloud.providers.redis.interfaces.graphs import GraphMixin
from omnicloud.providers.redis.interfaces.keyvalue import KeyValueMixin
from omnicloud.providers.redis.interfaces.lists import ListMixin
from omnicloud.providers.redis.interfaces.pubsub import PubSubMixin
from omnicloud.providers.redis.interfaces.pubsub_durable import DurablePubSubMixin
from omnicloud.providers.redis.interfaces.queues import QueueMixin
from omnicloud.providers.redis.interfaces.sets import SetMixin
from omnicloud.providers.redis.interfaces.sortedsets import SortedSetMixin
from omnicloud.providers.redis.interfaces.streams import StreamMixin
from omnicloud.providers.redis.interfaces.timeseries import TimeSeriesMixin

#: The interfaces ``RedisStore`` implements, in catalog order.
IMPLEMENTS: tuple[str, ...] = (
    "keyvalue_basic",
    "keyvalue_scan",
    "keyvalue_ttl",
    "keyvalue_transactional",
    "keyvalue_batch",
    "keyvalue_cas",
    "pubsub_basic",
    "pubsub_wildcards",
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
)


class RedisStore(
    KeyValueMixin,
    PubSubMixin,
    DurablePubSubMixin,
    StreamMixin,
    QueueMixin,
    ListMixin,
    SetMixin,
    SortedSetMixin,
    TimeSeriesMixin,
    GraphMixin,
):
    """Key-value, pub/sub, streams, queues, lists, sets, sorted sets, time series and graphs.

    Every key lives under ``<prefix><namespace>:``, the namespace random unless given, so each
    instance is isolated from every other (the suites create one per test); ``aclose()``
    closes its connections.
    """


async def create_store(
    url: str = DEFAULT_URL, prefix: str = "", namespace: str | None = None, **client_options: Any
) -> RedisStore:
    """Factory for ``[providers.*] factory = "omnicloud.providers.redis:create_store"``.

    ``url``: the server (``redis://host:port/db``; under xdist, the worker's own database);
    ``prefix``: the key prefix of this run or worker (``{services.redis.prefix}``);
    ``namespace``: the instance's key space under the prefix, random unless given (give one to
    reopen the same data from another instance); any other option goes to redis-py's
    connection pool (``max_connections``, ``password``, ``ssl``...).
    """
    return RedisStore(await connect_bytes(url, **client_options), prefix, namespace)
