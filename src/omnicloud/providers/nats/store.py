"""``NatsStore``: the NATS interface families composed into one provider object."""

from __future__ import annotations

from typing import Any

from omnicloud.providers.nats._base import DEFAULT_URL, connect
from omnicloud.providers.nats.pubsub import NatsPubSub
from omnicloud.providers.nats.stream import NatsStreams

#: What this provider claims (``implements`` in omnicloud.toml); docs/backends/nats.md says
#: why the others are left out.
IMPLEMENTS = (
    "pubsub_basic",
    "pubsub_wildcards",
    "pubsub_persistent",
    "pubsub_ordering",
    "stream_basic",
    "stream_consumer_groups",
    "stream_replay",
    "stream_retention",
    "stream_partitioning",
)


class NatsStore(NatsPubSub, NatsStreams):
    """Streams and pub/sub over one NATS connection, isolated under a fresh namespace."""


async def create_store(
    url: str = DEFAULT_URL, prefix: str = "", storage: str = "file", **options: Any
) -> NatsStore:
    """Factory for ``factory = "omnicloud.providers.nats:create_store"``.

    ``url``: the NATS server (JetStream enabled); ``prefix``: the isolation key
    (``{services.nats.prefix}``), under which each instance takes a random namespace;
    ``storage``: ``"file"`` or ``"memory"`` JetStream storage; ``group_ack_wait``: seconds
    before an unacknowledged consumer-group record goes to another member (default 3600).
    """
    if storage not in ("file", "memory"):
        raise ValueError(f"storage must be 'file' or 'memory', got {storage!r}")
    client_options = {k: v for k, v in options.items() if k != "group_ack_wait"}
    store_options = {k: v for k, v in options.items() if k == "group_ack_wait"}
    return NatsStore(await connect(url, **client_options), prefix, storage, **store_options)
