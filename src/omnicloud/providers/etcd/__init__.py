"""etcd providers (extra ``etcd``): the interface store (``create_store``: keyvalue_basic, _scan,
_ttl, _cas, _transactional) and the distributed lock (``create_lock_manager``), through etcd's
v3 JSON gateway.

Each factory takes ``url`` (``{services.etcd.url}``) and ``prefix`` (``{services.etcd.prefix}``:
under xdist each worker's own).

```toml
[providers.etcd-lock]
contract = "distributed_lock"
factory = "omnicloud.providers.etcd:create_lock_manager"
options = { url = "{services.etcd.url}", prefix = "{services.etcd.prefix}" }
services = ["etcd"]
```
"""

from omnicloud.providers.etcd.lock import EtcdLock, EtcdLockManager, create_lock_manager
from omnicloud.providers.etcd.store import EtcdStore, EtcdTransaction, create_store

__all__ = [
    "EtcdLock",
    "EtcdLockManager",
    "EtcdStore",
    "EtcdTransaction",
    "create_lock_manager",
    "create_store",
]


def omnicloud_preflight() -> None:
    """Checked by omnicloud before any test runs: the client library is installed."""
    from omnicloud.providers.etcd._gateway import aiohttp_module

    aiohttp_module()
