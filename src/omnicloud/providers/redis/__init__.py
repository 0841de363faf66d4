"""Redis providers (extra ``redis``): KV store, cache, distributed lock, saga state repository.

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
from omnicloud.providers.redis.sagas import RedisSagaStateRepository, create_saga_repository

__all__ = [
    "RedisCache",
    "RedisKVStore",
    "RedisLock",
    "RedisLockManager",
    "RedisSagaStateRepository",
    "create_cache",
    "create_kv_store",
    "create_lock_manager",
    "create_saga_repository",
]
