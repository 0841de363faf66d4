"""NATS providers (extra ``nats``): an interface-only store on NATS and JetStream, and a
JetStream message broker for the ``producer`` and ``consumer`` contracts (``create_broker``,
see :mod:`omnicloud.providers.nats.messaging`).

```toml
[providers.nats]
factory = "omnicloud.providers.nats:create_store"
options = { url = "{services.nats.url}", prefix = "{services.nats.prefix}" }
services = ["nats"]
implements = ["stream_basic", "stream_consumer_groups", "stream_replay", "stream_retention",
              "stream_partitioning", "pubsub_basic", "pubsub_persistent", "pubsub_wildcards",
              "pubsub_ordering"]
```

See docs/backends/nats.md for what each interface maps to and what is left out.
"""

from omnicloud.providers.nats.messaging import NatsBroker, create_broker
from omnicloud.providers.nats.store import IMPLEMENTS, NatsStore, create_store

__all__ = ["IMPLEMENTS", "NatsBroker", "NatsStore", "create_broker", "create_store"]


def omnicloud_preflight() -> None:
    """Checked by omnicloud before any test runs: the client library is installed."""
    from omnicloud.providers.nats._client import nats_module

    nats_module()
