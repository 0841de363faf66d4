"""The 45 backend interfaces of Prism's MEMO-006, as data.

Each ``InterfaceSpec`` names an interface (``keyvalue_ttl``), its family, the operations a provider
must offer (our Pythonic async surface: method name and signature, every method ``async``), the
interfaces it builds on (a family's ``*_basic`` interface is its mandatory core), the suite that
certifies it (``module:Class``) and how it relates to the ``tck_py`` contracts.

Importing this module imports no test code. ``docs/interfaces.md`` explains, family by family,
where Prism's documents disagree and which surface was chosen.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property

FAMILIES: tuple[str, ...] = (
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
)


@dataclass(frozen=True)
class Param:
    """One parameter of an operation (``self`` excluded)."""

    name: str
    kind: str  # "positional", "varargs" or "keyword"
    required: bool


@dataclass(frozen=True)
class Operation:
    """An async provider method: ``name`` and ``signature`` as written in Python."""

    name: str
    signature: str
    summary: str

    @cached_property
    def params(self) -> tuple[Param, ...]:
        """The parameters, parsed from ``signature``."""
        tree = ast.parse(f"async def {self.name}{self.signature}: ...")
        func = tree.body[0]
        assert isinstance(func, ast.AsyncFunctionDef)
        args = func.args
        positional = args.args
        first_default = len(positional) - len(args.defaults)
        out = [Param(a.arg, "positional", i < first_default) for i, a in enumerate(positional)]
        if args.vararg is not None:
            out.append(Param(args.vararg.arg, "varargs", False))
        for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            out.append(Param(arg.arg, "keyword", default is None))
        return tuple(out)

    def render(self) -> str:
        return f"async def {self.name}{self.signature}"


@dataclass(frozen=True)
class InterfaceSpec:
    """One interface: what a provider declares in ``implements``."""

    name: str
    family: str
    summary: str
    operations: tuple[Operation, ...]
    suite: str
    requires: tuple[str, ...] = ()
    contracts: dict[str, str] = field(default_factory=dict)
    prism: str = ""

    @property
    def suite_module(self) -> str:
        return self.suite.partition(":")[0]

    @property
    def suite_class(self) -> str:
        return self.suite.partition(":")[2]

    @property
    def method_names(self) -> tuple[str, ...]:
        return tuple(op.name for op in self.operations)


_O = Operation
_MOD = "tck_py.interfaces"


def _spec(
    name: str,
    cls: str,
    summary: str,
    ops: tuple[Operation, ...],
    *,
    requires: tuple[str, ...] | None = None,
    contracts: dict[str, str] | None = None,
    prism: str = "",
) -> InterfaceSpec:
    family = name.split("_", 1)[0]
    basic = f"{family}_basic"
    needs = requires if requires is not None else (() if name == basic else (basic,))
    return InterfaceSpec(
        name,
        family,
        summary,
        ops,
        f"{_MOD}.{family}:BaseTest{cls}Interface",
        needs,
        contracts or {},
        prism,
    )


_KV = (
    _spec(
        "keyvalue_basic",
        "KeyValueBasic",
        "core CRUD on string keys and string values",
        (
            _O(
                "set",
                "(key: str, value: str) -> None",
                "store value under key (replaces, clears TTL)",
            ),
            _O("get", "(key: str) -> str | None", "the value, or None when absent"),
            _O("delete", "(key: str) -> object", "remove key; no error when absent"),
            _O("exists", "(key: str) -> bool", "whether key is present"),
        ),
        contracts={
            "kv_store": "the kv_store contract (set/get/delete) is this interface minus"
            " exists: every keyvalue_basic provider passes kv_store"
        },
        prism="Set/Get/Delete/Exists; Get of a missing key returns None (code), not an error"
        " (RFC-015)",
    ),
    _spec(
        "keyvalue_scan",
        "KeyValueScan",
        "enumerate keys by prefix",
        (
            _O(
                "scan",
                "(prefix: str = '', limit: int | None = None) -> list[tuple[str, str]]",
                "(key, value) pairs whose key starts with prefix, sorted by key",
            ),
            _O(
                "scan_keys",
                "(prefix: str = '', limit: int | None = None) -> list[str]",
                "keys starting with prefix, sorted",
            ),
            _O("count", "(prefix: str = '') -> int", "number of keys starting with prefix"),
        ),
        prism="memo Scan/ScanKeys/Count over Go Scan/ScanWithValues",
    ),
    _spec(
        "keyvalue_ttl",
        "KeyValueTTL",
        "expiration",
        (
            _O(
                "set_with_ttl",
                "(key: str, value: str, ttl: float) -> None",
                "store value that expires after ttl seconds",
            ),
            _O(
                "expire",
                "(key: str, ttl: float) -> bool",
                "set or refresh the TTL; False when key is absent; ttl <= 0 deletes now",
            ),
            _O(
                "get_ttl",
                "(key: str) -> float | None",
                "remaining seconds; math.inf without expiry; None when absent",
            ),
            _O("persist", "(key: str) -> bool", "remove the TTL; True when one was removed"),
        ),
        contracts={"cache": "the cache contract's set(key, value, ttl) is set_with_ttl"},
        prism="proto Expire/GetTTL/Persist plus Go SetWithTTL",
    ),
    _spec(
        "keyvalue_transactional",
        "KeyValueTransactional",
        "multi-key atomic commits",
        (
            _O(
                "begin_transaction",
                "() -> object",
                "a transaction with async set/get/delete/commit/rollback",
            ),
        ),
        prism="memo proto block: Begin + Set/Get in transaction + Commit/Rollback, as methods of"
        " the returned handle",
    ),
    _spec(
        "keyvalue_batch",
        "KeyValueBatch",
        "bulk operations",
        (
            _O("batch_set", "(items: Mapping[str, str]) -> None", "store every pair"),
            _O("batch_get", "(keys: Sequence[str]) -> list[str | None]", "values in key order"),
            _O("batch_delete", "(keys: Sequence[str]) -> int", "number of keys that existed"),
        ),
    ),
    _spec(
        "keyvalue_cas",
        "KeyValueCAS",
        "compare-and-swap",
        (
            _O(
                "compare_and_swap",
                "(key: str, expected: str | None, value: str) -> bool",
                "write only if the current value equals expected (None: only if absent)",
            ),
            _O(
                "compare_and_delete",
                "(key: str, expected: str) -> bool",
                "delete only if the current value equals expected",
            ),
        ),
        prism="memo CompareAndSwap/CompareAndDelete (Go's Increment/Decrement dropped)",
    ),
)

_MSG = "(topic: str, payload: bytes, metadata: Mapping[str, str] | None = None) -> str"
_PUBSUB = (
    _spec(
        "pubsub_basic",
        "PubSubBasic",
        "fan-out publish/subscribe",
        (
            _O("publish", _MSG, "send to every current subscriber of topic; returns a message id"),
            _O(
                "subscribe",
                "(topic: str, subscriber_id: str) -> None",
                "start delivering topic's new messages to subscriber_id",
            ),
            _O("unsubscribe", "(topic: str, subscriber_id: str) -> None", "stop delivering"),
            _O(
                "receive",
                "(subscriber_id: str, timeout: float) -> Message | None",
                "next message for subscriber_id, waiting up to timeout seconds",
            ),
        ),
        contracts={"producer": "publish is the producer contract's publish, plus a message id"},
        prism="Subscribe's server stream becomes a per-subscriber receive(timeout)",
    ),
    _spec(
        "pubsub_wildcards",
        "PubSubWildcards",
        "pattern subscriptions",
        (
            _O(
                "subscribe_pattern",
                "(pattern: str, subscriber_id: str) -> None",
                "dot-separated tokens; '*' one token, '>' one or more trailing tokens",
            ),
            _O("unsubscribe_pattern", "(pattern: str, subscriber_id: str) -> None", "stop it"),
        ),
    ),
    _spec(
        "pubsub_persistent",
        "PubSubPersistent",
        "durable subscriptions",
        (
            _O("publish_persistent", _MSG, "store durably; returns an ordered message id"),
            _O(
                "subscribe_durable",
                "(topic: str, durable_name: str) -> None",
                "create (or resume) a durable cursor, starting at the oldest stored message",
            ),
            _O(
                "receive_durable",
                "(topic: str, durable_name: str, timeout: float) -> Message | None",
                "next message after the cursor, advancing it",
            ),
            _O(
                "get_last_message_id",
                "(topic: str) -> str | None",
                "id of the newest stored message",
            ),
        ),
    ),
    _spec(
        "pubsub_filtering",
        "PubSubFiltering",
        "attribute filters",
        (
            _O(
                "publish_with_attributes",
                "(topic: str, payload: bytes, attributes: Mapping[str, str]) -> str",
                "publish with filterable attributes (delivered as metadata)",
            ),
            _O(
                "subscribe_filtered",
                "(topic: str, subscriber_id: str, filter: Mapping[str, str]) -> None",
                "receive only messages whose attributes contain every filter pair",
            ),
        ),
    ),
    _spec(
        "pubsub_ordering",
        "PubSubOrdering",
        "per-key ordering",
        (
            _O(
                "publish_ordered",
                "(topic: str, payload: bytes, ordering_key: str,"
                " metadata: Mapping[str, str] | None = None) -> str",
                "same-key messages are delivered in publish order",
            ),
        ),
    ),
)

_STREAM = (
    _spec(
        "stream_basic",
        "StreamBasic",
        "append-only log with offsets",
        (
            _O(
                "stream_append",
                "(stream: str, payload: bytes, headers: Mapping[str, str] | None = None) -> int",
                "append; returns the record's offset (0, 1, 2, ...)",
            ),
            _O(
                "stream_read",
                "(stream: str, offset: int, limit: int = 100) -> list[StreamRecord]",
                "records at offset and after, oldest first",
            ),
            _O(
                "stream_latest_offset",
                "(stream: str) -> int",
                "offset of the newest record, -1 when empty",
            ),
        ),
    ),
    _spec(
        "stream_consumer_groups",
        "StreamConsumerGroups",
        "consumer groups",
        (
            _O(
                "stream_create_group",
                "(stream: str, group: str, start_offset: int = 0) -> bool",
                "create a group; False if it exists",
            ),
            _O(
                "stream_read_group",
                "(stream: str, group: str, consumer: str, limit: int = 10) -> list[StreamRecord]",
                "records never delivered to the group; each goes to one consumer",
            ),
            _O(
                "stream_ack",
                "(stream: str, group: str, offsets: Sequence[int]) -> int",
                "acknowledge; number newly acknowledged",
            ),
            _O(
                "stream_group_info",
                "(stream: str, group: str) -> GroupInfo",
                "pending count and cursor; KeyError for an unknown group",
            ),
        ),
        prism="memo CreateConsumerGroup/JoinConsumerGroup/Ack/GetConsumerGroupInfo; Join's stream"
        " becomes read_group",
    ),
    _spec(
        "stream_replay",
        "StreamReplay",
        "historical reads",
        (
            _O(
                "stream_replay",
                "(stream: str, start: int, end: int) -> list[StreamRecord]",
                "records with start <= offset < end",
            ),
            _O(
                "stream_offset_for_time",
                "(stream: str, timestamp: float) -> int",
                "first offset whose timestamp >= timestamp (latest + 1 if none)",
            ),
        ),
        prism="SeekToOffset is stream_read(offset); SeekToTimestamp is stream_offset_for_time",
    ),
    _spec(
        "stream_retention",
        "StreamRetention",
        "lifecycle limits",
        (
            _O(
                "stream_set_retention",
                "(stream: str, max_age: float | None = None,"
                " max_records: int | None = None) -> None",
                "limits applied no later than the next compaction",
            ),
            _O("stream_get_retention", "(stream: str) -> Retention", "current limits"),
            _O("stream_compact", "(stream: str) -> int", "apply limits now; records removed"),
        ),
    ),
    _spec(
        "stream_partitioning",
        "StreamPartitioning",
        "partitions",
        (
            _O(
                "stream_create_partitions",
                "(stream: str, count: int) -> None",
                "make stream partitioned with count partitions",
            ),
            _O("stream_get_partitions", "(stream: str) -> list[int]", "partition numbers"),
            _O(
                "stream_append_to_partition",
                "(stream: str, partition: int, payload: bytes,"
                " headers: Mapping[str, str] | None = None) -> int",
                "append to one partition; offsets are per partition; IndexError out of range",
            ),
            _O(
                "stream_read_partition",
                "(stream: str, partition: int, offset: int,"
                " limit: int = 100) -> list[StreamRecord]",
                "read one partition",
            ),
        ),
    ),
)

_QMSG = "(queue: str, payload: bytes, metadata: Mapping[str, str] | None = None) -> str"
_QUEUE = (
    _spec(
        "queue_basic",
        "QueueBasic",
        "FIFO queue",
        (
            _O("queue_enqueue", _QMSG, "add to the tail; returns a message id"),
            _O(
                "queue_dequeue",
                "(queue: str) -> QueueMessage | None",
                "remove and return the head; None when empty",
            ),
            _O("queue_peek", "(queue: str) -> QueueMessage | None", "the head, not removed"),
        ),
        contracts={"consumer": "the consumer contract's delivery semantics, pull-based"},
    ),
    _spec(
        "queue_visibility",
        "QueueVisibility",
        "visibility timeouts",
        (
            _O(
                "queue_dequeue_with_timeout",
                "(queue: str, visibility_timeout: float) -> QueueMessage | None",
                "take the head and hide it; it reappears unless acknowledged in time",
            ),
            _O(
                "queue_extend_visibility",
                "(queue: str, message_id: str, visibility_timeout: float) -> bool",
                "hide for visibility_timeout more seconds from now",
            ),
            _O("queue_release", "(queue: str, message_id: str) -> bool", "make visible again now"),
            _O("queue_ack", "(queue: str, message_id: str) -> bool", "finish: delete for good"),
        ),
        prism="the memo lists no way to finish a message; queue_ack added (Go Acknowledge)",
    ),
    _spec(
        "queue_dead_letter",
        "QueueDeadLetter",
        "dead-letter queues",
        (
            _O(
                "queue_configure_dead_letter",
                "(queue: str, dead_letter_queue: str, max_deliveries: int) -> None",
                "after max_deliveries unacknowledged deliveries, move to dead_letter_queue",
            ),
            _O(
                "queue_get_dead_letters",
                "(queue: str) -> list[QueueMessage]",
                "messages in queue's dead-letter queue, oldest first, not removed",
            ),
        ),
        requires=("queue_basic", "queue_visibility"),
        contracts={"consumer": "max_attempts then DLQ, as in the consumer contract"},
    ),
    _spec(
        "queue_priority",
        "QueuePriority",
        "priorities",
        (
            _O(
                "queue_enqueue_with_priority",
                "(queue: str, payload: bytes, priority: int,"
                " metadata: Mapping[str, str] | None = None) -> str",
                "higher priority first, FIFO within a priority; plain enqueue is priority 0",
            ),
        ),
    ),
    _spec(
        "queue_delayed",
        "QueueDelayed",
        "delayed delivery",
        (
            _O(
                "queue_enqueue_delayed",
                "(queue: str, payload: bytes, delay: float,"
                " metadata: Mapping[str, str] | None = None) -> str",
                "invisible until delay seconds have passed",
            ),
            _O("queue_scheduled_count", "(queue: str) -> int", "messages not yet due"),
        ),
        contracts={"delayed_messaging": "same due-time guarantees, pull-based"},
    ),
)

_LIST = (
    _spec(
        "list_basic",
        "ListBasic",
        "push/pop at both ends",
        (
            _O(
                "list_push_left",
                "(key: str, *values: str) -> int",
                "push each value at the head in turn; new length",
            ),
            _O("list_push_right", "(key: str, *values: str) -> int", "append each; new length"),
            _O("list_pop_left", "(key: str) -> str | None", "remove the head"),
            _O("list_pop_right", "(key: str) -> str | None", "remove the tail"),
            _O("list_length", "(key: str) -> int", "number of elements (0 when absent)"),
        ),
        prism="list_length added (Redis LLEN): a list surface without a length is not usable",
    ),
    _spec(
        "list_indexing",
        "ListIndexing",
        "random access",
        (
            _O(
                "list_get",
                "(key: str, index: int) -> str | None",
                "element at index (negative from the end); None out of range",
            ),
            _O(
                "list_set",
                "(key: str, index: int, value: str) -> None",
                "overwrite; IndexError out of range",
            ),
            _O(
                "list_insert",
                "(key: str, pivot: str, value: str, before: bool = True) -> int | None",
                "insert next to the first pivot; new length, None when pivot is absent",
            ),
            _O(
                "list_remove",
                "(key: str, value: str, count: int = 0) -> int",
                "remove occurrences: count > 0 from the head, < 0 from the tail, 0 all",
            ),
        ),
    ),
    _spec(
        "list_range",
        "ListRange",
        "ranges",
        (
            _O(
                "list_range",
                "(key: str, start: int, stop: int) -> list[str]",
                "elements start..stop INCLUSIVE, negative indexes from the end",
            ),
            _O(
                "list_trim",
                "(key: str, start: int, stop: int) -> None",
                "keep only start..stop inclusive",
            ),
        ),
    ),
    _spec(
        "list_blocking",
        "ListBlocking",
        "blocking pops",
        (
            _O(
                "list_blocking_pop_left",
                "(key: str, timeout: float) -> str | None",
                "pop the head, waiting up to timeout seconds for one",
            ),
            _O(
                "list_blocking_pop_right",
                "(key: str, timeout: float) -> str | None",
                "pop the tail, waiting up to timeout seconds",
            ),
        ),
    ),
)

_SET = (
    _spec(
        "set_basic",
        "SetBasic",
        "membership",
        (
            _O("set_add", "(key: str, *members: str) -> int", "number newly added"),
            _O("set_remove", "(key: str, *members: str) -> int", "number removed"),
            _O("set_contains", "(key: str, member: str) -> bool", "membership"),
            _O("set_members", "(key: str) -> set[str]", "all members (a copy)"),
        ),
    ),
    _spec(
        "set_operations",
        "SetOperations",
        "set algebra",
        (
            _O("set_union", "(*keys: str) -> set[str]", "union; absent keys are empty"),
            _O("set_intersection", "(*keys: str) -> set[str]", "intersection"),
            _O("set_difference", "(key: str, *others: str) -> set[str]", "key minus others"),
        ),
    ),
    _spec(
        "set_cardinality",
        "SetCardinality",
        "size tracking",
        (
            _O("set_size", "(key: str) -> int", "number of members"),
            _O("set_is_member", "(key: str, member: str) -> bool", "membership"),
        ),
    ),
    _spec(
        "set_random",
        "SetRandom",
        "random sampling",
        (
            _O("set_random_member", "(key: str) -> str | None", "a random member, not removed"),
            _O("set_pop_random", "(key: str) -> str | None", "a random member, removed"),
        ),
    ),
)

_RANGE = "list[tuple[str, float]]"
_ZSET = (
    _spec(
        "sortedset_basic",
        "SortedSetBasic",
        "scored members",
        (
            _O(
                "zset_add",
                "(key: str, member: str, score: float) -> bool",
                "add or re-score; True when new",
            ),
            _O("zset_remove", "(key: str, *members: str) -> int", "number removed"),
            _O("zset_score", "(key: str, member: str) -> float | None", "score or None"),
        ),
    ),
    _spec(
        "sortedset_range",
        "SortedSetRange",
        "range queries",
        (
            _O(
                "zset_range",
                f"(key: str, start: int, stop: int) -> {_RANGE}",
                "by rank, start..stop inclusive, ascending (score, then member)",
            ),
            _O(
                "zset_range_by_score",
                "(key: str, min_score: float, max_score: float,"
                f" limit: int | None = None) -> {_RANGE}",
                "members with min_score <= score <= max_score, ascending",
            ),
        ),
    ),
    _spec(
        "sortedset_rank",
        "SortedSetRank",
        "ranking",
        (
            _O("zset_rank", "(key: str, member: str) -> int | None", "0-based ascending rank"),
            _O("zset_reverse_rank", "(key: str, member: str) -> int | None", "descending rank"),
        ),
    ),
    _spec(
        "sortedset_operations",
        "SortedSetOperations",
        "set operations with scores",
        (
            _O(
                "zset_union",
                f"(*keys: str, aggregate: str = 'sum') -> {_RANGE}",
                "members of any key; scores combined by sum|min|max; ascending",
            ),
            _O(
                "zset_intersection",
                f"(*keys: str, aggregate: str = 'sum') -> {_RANGE}",
                "members of every key",
            ),
        ),
    ),
    _spec(
        "sortedset_lex",
        "SortedSetLex",
        "lexicographic ranges",
        (
            _O(
                "zset_range_by_lex",
                "(key: str, lower: str | None, upper: str | None) -> list[str]",
                "members lower <= m <= upper by code point (None: unbounded), for equal scores",
            ),
        ),
    ),
)

_POINTS = "list[tuple[float, float]]"
_TS = (
    _spec(
        "timeseries_basic",
        "TimeSeriesBasic",
        "time-indexed points",
        (
            _O(
                "ts_insert",
                "(series: str, timestamp: float, value: float) -> None",
                "write a point; same timestamp overwrites",
            ),
            _O(
                "ts_query",
                f"(series: str, start: float, end: float) -> {_POINTS}",
                "points with start <= t <= end, by time",
            ),
        ),
    ),
    _spec(
        "timeseries_aggregation",
        "TimeSeriesAggregation",
        "downsampling",
        (
            _O(
                "ts_aggregate",
                "(series: str, start: float, end: float, bucket: float,"
                f" function: str) -> {_POINTS}",
                "per bucket (aligned to multiples of bucket): avg|sum|min|max|count|first|last",
            ),
            _O(
                "ts_rollup",
                "(series: str, destination: str, bucket: float, function: str) -> int",
                "write the aggregated series into destination; points written",
            ),
        ),
    ),
    _spec(
        "timeseries_retention",
        "TimeSeriesRetention",
        "data lifecycle",
        (
            _O(
                "ts_set_retention",
                "(series: str, max_age: float | None) -> None",
                "keep points younger than max_age seconds",
            ),
            _O("ts_get_retention", "(series: str) -> float | None", "current max_age"),
            _O(
                "ts_compact",
                "(series: str, now: float | None = None) -> int",
                "drop points older than now - max_age; points removed",
            ),
        ),
    ),
    _spec(
        "timeseries_interpolation",
        "TimeSeriesInterpolation",
        "gap filling",
        (
            _O(
                "ts_interpolate_linear",
                "(series: str, timestamps: Sequence[float]) -> list[float | None]",
                "linear between neighbours; None outside the data",
            ),
            _O(
                "ts_interpolate_step",
                "(series: str, timestamps: Sequence[float]) -> list[float | None]",
                "last value at or before t; None before the first point",
            ),
        ),
    ),
)

_GRAPH = (
    _spec(
        "graph_basic",
        "GraphBasic",
        "nodes and directed edges",
        (
            _O(
                "graph_add_node",
                "(graph: str, node_id: str, properties: Mapping[str, Any] | None = None) -> None",
                "create or replace a node",
            ),
            _O(
                "graph_add_edge",
                "(graph: str, source: str, target: str, label: str = '',"
                " properties: Mapping[str, Any] | None = None) -> str",
                "create an edge; KeyError when an end is missing; returns its id",
            ),
            _O(
                "graph_delete_node",
                "(graph: str, node_id: str) -> bool",
                "remove the node and its edges",
            ),
            _O("graph_delete_edge", "(graph: str, edge_id: str) -> bool", "remove an edge"),
            _O(
                "graph_get_node",
                "(graph: str, node_id: str) -> dict[str, Any] | None",
                "a copy of the node's properties",
            ),
            _O(
                "graph_edges",
                "(graph: str, node_id: str) -> list[Edge]",
                "edges in or out of node_id",
            ),
        ),
        prism="graph_get_node and graph_edges added: CRUD needs a read side",
    ),
    _spec(
        "graph_traversal",
        "GraphTraversal",
        "walks",
        (
            _O(
                "graph_traverse_dfs",
                "(graph: str, start: str, max_depth: int | None = None) -> list[str]",
                "depth-first along out-edges, neighbours in ascending id order",
            ),
            _O(
                "graph_traverse_bfs",
                "(graph: str, start: str, max_depth: int | None = None) -> list[str]",
                "breadth-first, same neighbour order",
            ),
        ),
    ),
    _spec(
        "graph_query",
        "GraphQuery",
        "query language pass-through",
        (
            _O(
                "graph_query",
                "(graph: str, language: str, query: str,"
                " parameters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]",
                "run a query; the suite uses a small openCypher core; ValueError for an"
                " unsupported language",
            ),
        ),
        prism="Gremlin/Cypher/SPARQL collapse into one call with a language argument",
    ),
    _spec(
        "graph_analytics",
        "GraphAnalytics",
        "algorithms",
        (
            _O(
                "graph_shortest_path",
                "(graph: str, source: str, target: str) -> list[str] | None",
                "fewest-hop path along out-edges, or None",
            ),
            _O(
                "graph_pagerank",
                "(graph: str, damping: float = 0.85, iterations: int = 50) -> dict[str, float]",
                "PageRank scores summing to 1",
            ),
            _O(
                "graph_connected_components",
                "(graph: str) -> list[set[str]]",
                "weakly connected components",
            ),
        ),
    ),
)

_DOCUMENT = (
    _spec(
        "document_basic",
        "DocumentBasic",
        "JSON documents by id",
        (
            _O(
                "doc_insert",
                "(collection: str, document: Mapping[str, Any]) -> str",
                "store; id from '_id' or generated; DuplicateKeyError for an existing id",
            ),
            _O(
                "doc_get",
                "(collection: str, doc_id: str) -> dict[str, Any] | None",
                "a copy including '_id'",
            ),
            _O(
                "doc_update",
                "(collection: str, doc_id: str, changes: Mapping[str, Any]) -> bool",
                "set top-level fields; False when absent",
            ),
            _O("doc_delete", "(collection: str, doc_id: str) -> bool", "remove"),
        ),
        contracts={
            "document_database": "insert_one/find_one/update_one/delete_one are the same"
            " operations under the contract's names"
        },
    ),
    _spec(
        "document_query",
        "DocumentQuery",
        "queries",
        (
            _O(
                "doc_find",
                "(collection: str, filter: Mapping[str, Any], limit: int | None = None,"
                " sort: Sequence[tuple[str, int]] | None = None) -> list[dict[str, Any]]",
                "matching documents; filters: equality, dotted paths, $gt $gte $lt $lte $ne $in",
            ),
            _O(
                "doc_find_one",
                "(collection: str, filter: Mapping[str, Any]) -> dict[str, Any] | None",
                "the first match",
            ),
            _O(
                "doc_aggregate",
                "(collection: str, pipeline: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]",
                "stages $match, $group ($sum $avg $min $max), $sort, $limit",
            ),
        ),
    ),
    _spec(
        "document_indexing",
        "DocumentIndexing",
        "secondary indexes",
        (
            _O(
                "doc_create_index",
                "(collection: str, fields: Sequence[str], unique: bool = False) -> str",
                "create (idempotent); returns its name; DuplicateKeyError if unique is violated",
            ),
            _O("doc_drop_index", "(collection: str, name: str) -> bool", "drop"),
            _O("doc_list_indexes", "(collection: str) -> list[IndexInfo]", "indexes, by name"),
        ),
    ),
)

INTERFACES: dict[str, InterfaceSpec] = {
    spec.name: spec
    for spec in (
        *_KV,
        *_PUBSUB,
        *_STREAM,
        *_QUEUE,
        *_LIST,
        *_SET,
        *_ZSET,
        *_TS,
        *_GRAPH,
        *_DOCUMENT,
    )
}


def interface_names(family: str | None = None) -> list[str]:
    """Interface names in catalog order (optionally of one family)."""
    return [n for n, s in INTERFACES.items() if family is None or s.family == family]


def families() -> dict[str, list[str]]:
    """Family -> interface names, in catalog order."""
    return {family: interface_names(family) for family in FAMILIES}
