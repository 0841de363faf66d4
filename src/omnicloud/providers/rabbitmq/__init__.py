"""RabbitMQ providers (extra ``rabbitmq``): an interface-only store on queues and exchanges,
and a message broker for the ``producer``, ``consumer`` and ``delayed_messaging`` contracts
(``create_broker``, see :mod:`omnicloud.providers.rabbitmq.messaging`).

```toml
[providers.rabbitmq]
factory = "omnicloud.providers.rabbitmq:create_store"
options = { url = "{services.rabbitmq.url}", prefix = "{services.rabbitmq.prefix}" }
services = ["rabbitmq"]
implements = ["queue_basic", "queue_visibility", "queue_dead_letter", "queue_priority",
              "queue_delayed", "pubsub_basic", "pubsub_wildcards", "pubsub_filtering",
              "pubsub_ordering"]
```

See docs/backends/rabbitmq.md for what each interface maps to and what is left out.
"""

from omnicloud.providers.rabbitmq.messaging import RabbitBroker, create_broker
from omnicloud.providers.rabbitmq.store import IMPLEMENTS, RabbitStore, create_store

__all__ = ["IMPLEMENTS", "RabbitBroker", "RabbitStore", "create_broker", "create_store"]


def omnicloud_preflight() -> None:
    """Checked by omnicloud before any test runs: the client library is installed."""
    from omnicloud.providers.rabbitmq._client import aio_pika

    aio_pika()
