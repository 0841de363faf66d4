"""MemStore: the in-memory reference provider of all 45 interfaces (and the kv_store contract).

One object, one method namespace: key-value methods are bare (``get``, ``set``...), every other
family is prefixed (``list_``, ``set_``, ``zset_``, ``stream_``, ``queue_``, ``ts_``, ``graph_``,
``doc_``), so a backend such as Redis can offer many families side by side. Each family keeps its
own key space. Every method is ``async`` and yields to the event loop once before touching state,
so concurrent callers interleave as they would against a real server, while each operation stays
atomic (no ``await`` between a read and the write that depends on it).

Each family is one module of this package (``keyvalue``, ``pubsub``, ``stream``, ``queue``,
``list``, ``set``, ``sortedset``, ``timeseries``, ``graph``, ``document``) holding one mixin;
``MemStore`` composes them. Shared helpers live in ``common``; document equality is
``memory.document.same_value``, the one JSON-equality function every in-memory store uses.

    [providers.memstore]
    contract = "kv_store"
    factory = "omnicloud.providers.memory.memstore:MemStore"
    implements = [...]   # all 45, see docs/interfaces.md
"""

from __future__ import annotations

from typing import Any

from omnicloud.providers.memory.memstore.common import tick
from omnicloud.providers.memory.memstore.document import DocumentFamily
from omnicloud.providers.memory.memstore.graph import GraphFamily
from omnicloud.providers.memory.memstore.keyvalue import KeyValueFamily
from omnicloud.providers.memory.memstore.list import ListFamily
from omnicloud.providers.memory.memstore.pubsub import PubSubFamily
from omnicloud.providers.memory.memstore.queue import QueueFamily
from omnicloud.providers.memory.memstore.set import SetFamily
from omnicloud.providers.memory.memstore.sortedset import SortedSetFamily
from omnicloud.providers.memory.memstore.stream import StreamFamily
from omnicloud.providers.memory.memstore.timeseries import TimeSeriesFamily


class MemStore(
    KeyValueFamily,
    PubSubFamily,
    StreamFamily,
    QueueFamily,
    ListFamily,
    SetFamily,
    SortedSetFamily,
    TimeSeriesFamily,
    GraphFamily,
    DocumentFamily,
):
    """The in-memory reference provider: every interface of the catalog, one object.

    Options are accepted and ignored so the same factory works with any provider block.
    """

    def __init__(self, **options: Any) -> None:
        self.options = dict(options)
        for family in (
            "keyvalue",
            "pubsub",
            "stream",
            "queue",
            "list",
            "set",
            "sortedset",
            "timeseries",
            "graph",
            "document",
        ):
            getattr(self, f"_init_{family}")()

    async def aclose(self) -> None:
        """Nothing to release; present so harnesses can close every provider alike."""
        await tick()
