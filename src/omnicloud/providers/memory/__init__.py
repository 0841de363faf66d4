"""In-memory reference providers: the embedded defaults, and the baseline every suite certifies.

Each provider keeps its data in a backing store. By default every instance gets a fresh, private
store (``InMemoryKVStore()`` starts empty). Instances created with the same ``namespace=`` share
one process-wide store, the way clients of one server share its data: that is what lets several
tenant-scoped instances of one tenant see the same entries, and what the multi-tenancy policy
checks. Use a namespace per application (or per test run) to keep stores apart.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedStores(Generic[T]):
    """Backing stores by namespace name, created on first use and kept for the process."""

    def __init__(self, create: Callable[[], T]) -> None:
        self._create = create
        self._stores: dict[str, T] = {}
        self._lock = threading.Lock()

    def get(self, namespace: str | None) -> T:
        """The shared store of ``namespace``, or a new private store when it is ``None``."""
        if namespace is None:
            return self._create()
        with self._lock:
            if namespace not in self._stores:
                self._stores[namespace] = self._create()
            return self._stores[namespace]

    def drop(self, namespace: str) -> None:
        """Forget a namespace (its data goes with the last instance that still uses it)."""
        with self._lock:
            self._stores.pop(namespace, None)
