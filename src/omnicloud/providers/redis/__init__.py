"""Redis providers (extra ``redis``): KV store, cache, distributed lock, saga state repository,
a message broker (producer, consumer, delayed messaging), and ``create_store``: one object
implementing 40 of the catalog's interfaces (``store.IMPLEMENTS``, docs/backends/redis.md).

Each factory takes ``url`` (e.g. ``{services.redis.url}``: under xdist, the worker's own
database) and ``prefix`` (``{services.redis.prefix}``), and connects with ``redis.asyncio``.

```toml
[providers.redis-kv]
contract = "kv_store"
factory = "omnicloud.providers.redis:create_kv_store"
options = { url = "{services.redis.url}", prefix = "{services.redis.prefix}" }
services = ["redis"]
```
"""

from omnicloud.providers.redis.cache import RedisCache, create_cache
from omnicloud.providers.redis.kv import RedisKVStore, create_kv_store
from omnicloud.providers.redis.lock import RedisLock, RedisLockManager, create_lock_manager
from omnicloud.providers.redis.messaging import RedisBroker, create_broker
from omnicloud.providers.redis.sagas import RedisSagaStateRepository, create_saga_repository
from omnicloud.providers.redis.store import RedisStore, create_store

__all__ = [
    "RedisBroker",
    "RedisCache",
    "RedisKVStore",
    "RedisLock",
    "RedisLockManager",
    "RedisSagaStateRepository",
    "RedisStore",
    "create_broker",
    "create_cache",
    "create_kv_store",
    "create_lock_manager",
    "create_saga_repository",
    "create_store",
]


def omnicloud_preflight() -> None:
    """Checked by omnicloud before any test runs: the client library is installed."""
    from omnicloud.providers.redis._client import redis_asyncio

    redis_asyncio()
