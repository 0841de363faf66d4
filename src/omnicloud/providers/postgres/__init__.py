"""PostgreSQL providers (extra ``postgres``): the interface store (``create_store``: 44 interfaces:
key-value, pub/sub, streams, queues, lists, sets, sorted sets, time series, graphs, documents), and
the contract providers KV store, document database, transactional outbox, saga state repository.

Each factory takes ``url`` (``{services.postgres.url}``) and ``schema``
(``{services.postgres.schema}``: under xdist each worker's own) and connects with psycopg's
``AsyncConnection``.

```toml
[providers.postgres-kv]
contract = "kv_store"
factory = "omnicloud.providers.postgres:create_kv_store"
options = { url = "{services.postgres.url}", schema = "{services.postgres.schema}" }
services = ["postgres"]
```
"""

from omnicloud.providers.postgres.document import (
    PostgresDocumentDatabase,
    create_document_database,
)
from omnicloud.providers.postgres.kv import PostgresKVStore, create_kv_store
from omnicloud.providers.postgres.outbox import PostgresOutboxStorage, create_outbox_storage
from omnicloud.providers.postgres.sagas import PostgresSagaStateRepository, create_saga_repository
from omnicloud.providers.postgres.store import PostgresStore, create_store

__all__ = [
    "PostgresDocumentDatabase",
    "PostgresKVStore",
    "PostgresOutboxStorage",
    "PostgresSagaStateRepository",
    "PostgresStore",
    "create_document_database",
    "create_kv_store",
    "create_outbox_storage",
    "create_saga_repository",
    "create_store",
]


def omnicloud_preflight() -> None:
    """Checked by omnicloud before any test runs: the client library is installed."""
    from omnicloud.providers.postgres._client import psycopg_module

    psycopg_module()
