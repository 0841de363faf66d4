"""Records the interface operations return.

Providers may return these dataclasses or any object with the same attributes: the suites read
attributes, never types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    """A pub/sub message as a subscriber receives it."""

    topic: str
    payload: bytes
    metadata: dict[str, str] = field(default_factory=dict)
    message_id: str = ""
    timestamp: float = 0.0


@dataclass(frozen=True)
class StreamRecord:
    """One record of an append-only stream; ``offset`` is dense and starts at 0."""

    offset: int
    payload: bytes
    headers: dict[str, str] = field(default_factory=dict)
    timestamp: float = 0.0


@dataclass(frozen=True)
class GroupInfo:
    """State of a consumer group: records delivered but not acknowledged, and the cursor."""

    name: str
    pending: int
    last_delivered_offset: int
    consumers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Retention:
    """Stream retention limits; ``None`` means unlimited."""

    max_age: float | None = None
    max_records: int | None = None


@dataclass(frozen=True)
class QueueMessage:
    """A queued message; ``delivery_count`` counts deliveries including this one."""

    message_id: str
    payload: bytes
    metadata: dict[str, str] = field(default_factory=dict)
    delivery_count: int = 0


@dataclass(frozen=True)
class Edge:
    """A directed graph edge."""

    edge_id: str
    source: str
    target: str
    label: str = ""
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IndexInfo:
    """A secondary document index."""

    name: str
    fields: tuple[str, ...]
    unique: bool = False
