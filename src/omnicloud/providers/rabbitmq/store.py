"""``RabbitStore``: the RabbitMQ interface families composed into one provider object."""

from __future__ import annotations

from typing import Any

from omnicloud.providers.rabbitmq._base import DEFAULT_URL, connect
from omnicloud.providers.rabbitmq.delayed import RabbitDelayedQueues
from omnicloud.providers.rabbitmq.pubsub import RabbitPubSub

#: What this provider claims (``implements`` in omnicloud.toml); docs/backends/rabbitmq.md
#: says why pubsub_persistent is left out and how queue_delayed avoids per-message TTLs.
IMPLEMENTS = (
    "queue_basic",
    "queue_visibility",
    "queue_dead_letter",
    "queue_priority",
    "queue_delayed",
    "pubsub_basic",
    "pubsub_wildcards",
    "pubsub_filtering",
    "pubsub_ordering",
)


class RabbitStore(RabbitDelayedQueues, RabbitPubSub):
    """Queues and exchanges over one AMQP connection, under a fresh name prefix."""


async def create_store(
    url: str = DEFAULT_URL, prefix: str = "", timeout: float = 5.0, **options: Any
) -> RabbitStore:
    """Factory for ``factory = "omnicloud.providers.rabbitmq:create_store"``.

    ``url``: the AMQP url, virtual host included (``{services.rabbitmq.url}``); ``prefix``:
    the isolation key (``{services.rabbitmq.prefix}``), under which each instance takes a
    random sub-prefix; ``timeout``: seconds to connect.
    """
    connection, channel = await connect(url, timeout)
    return RabbitStore(connection, channel, prefix, **options)
