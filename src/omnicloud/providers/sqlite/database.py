"""One SQLite connection per database per process, used from its own worker thread.

Every statement of every store opened on a database runs on that database's single worker
thread, one call at a time. That makes each provider method atomic with respect to all other
callers in the process (a read-modify-write needs no extra locking), keeps blocking I/O off the
event loop, and works from any event loop. Other processes using the same file are kept
consistent by SQLite's own locking (``busy_timeout``) and ``BEGIN IMMEDIATE`` transactions.

``path`` is ``":memory:"`` (a private database for this one store), a file path, or a ``file:``
URI such as ``file:certify?mode=memory&cache=shared`` (a named in-memory database that every
store of this process opened with the same URI shares).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

PRIVATE = ":memory:"
BUSY_TIMEOUT_MS = 10_000

_OPEN: dict[str, SQLiteDatabase] = {}
_OPEN_LOCK = threading.Lock()


def _registry_key(path: str) -> str:
    return path if path.startswith("file:") else os.path.abspath(path)


class SQLiteDatabase:
    """A connection confined to one worker thread, shared by reference count."""

    def __init__(self, path: str) -> None:
        # Resolved now: the connection opens lazily, and the working directory may change.
        self.path = path if path == PRIVATE else _registry_key(path)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="omnicloud-sqlite")
        self._connection: sqlite3.Connection | None = None
        self._users = 0
        self._initialized: set[str] = set()

    @classmethod
    def open(cls, path: str) -> SQLiteDatabase:
        """The process-wide database for ``path`` (a new private one for ``:memory:``)."""
        if path == PRIVATE:
            database = cls(path)
            database._users = 1
            return database
        with _OPEN_LOCK:
            database = _OPEN.setdefault(_registry_key(path), cls(path))
            database._users += 1
            return database

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            uri = self.path.startswith("file:")
            connection = sqlite3.connect(self.path, uri=uri, isolation_level=None)
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if "mode=memory" not in self.path:
                # WAL + NORMAL: a commit does not wait for fsync (the database stays consistent;
                # only the last commits can be lost on power failure), readers never block.
                _switch_to_wal(connection)
                connection.execute("PRAGMA synchronous = NORMAL")
            self._connection = connection
        return self._connection

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(connection)`` on the worker thread and return its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: work(self._connect()))

    async def ensure_schema(self, name: str, statements: tuple[str, ...]) -> None:
        """Run ``statements`` once per database (``CREATE ... IF NOT EXISTS``)."""
        if name in self._initialized:
            return

        def create(connection: sqlite3.Connection) -> None:
            with transaction(connection):
                for statement in statements:
                    connection.execute(statement)

        await self.run(create)
        self._initialized.add(name)

    async def release(self) -> None:
        """Drop one user; the last one closes the connection and stops the thread."""
        with _OPEN_LOCK:
            self._users -= 1
            last = self._users == 0
            if last and _OPEN.get(_registry_key(self.path)) is self:
                del _OPEN[_registry_key(self.path)]
        if not last:
            return
        if self._connection is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._connection.close)
            self._connection = None
        self._executor.shutdown(wait=False)


class transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error) on an autocommit connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __enter__(self) -> sqlite3.Connection:
        self._connection.execute("BEGIN IMMEDIATE")
        return self._connection

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._connection.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def _switch_to_wal(connection: sqlite3.Connection) -> None:
    """``PRAGMA journal_mode = WAL``, retried while another process holds the database.

    Changing the journal mode needs an exclusive lock, and SQLite can answer "database is
    locked" at once instead of waiting for ``busy_timeout`` while another connection is mid-way
    through its own first write (seen with several processes opening a new file together).
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)
