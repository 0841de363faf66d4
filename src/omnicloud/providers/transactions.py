"""The optimistic key-value transaction the stores share (``keyvalue_transactional``).

A transaction buffers its writes and remembers the version of every key it reads (the first
version seen: a later read of the same key does not move it); a read of a key it wrote answers
from the buffer. ``commit`` hands both to the backend, which applies the writes only if no key
read has changed since, else raises ``TransactionConflictError`` having applied nothing. A
transaction is used once: after ``commit`` or ``rollback`` every call is a ``RuntimeError``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Generic, TypeVar

#: A buffered delete (values are strings, so it cannot collide with one).
DELETED = object()

Version = TypeVar("Version")


class BufferedTransaction(ABC, Generic[Version]):
    """``set``/``get``/``delete``/``commit``/``rollback``; a backend reads a key with its
    version (``_read_versioned``) and commits what was read and written (``_commit_buffered``).
    """

    def __init__(self) -> None:
        self._writes: dict[str, object] = {}  # key -> value, or DELETED
        self._read: dict[str, Version] = {}  # key -> version when first read
        self._done = False

    def _open(self) -> None:
        if self._done:
            raise RuntimeError("this transaction is already committed or rolled back")

    async def set(self, key: str, value: str) -> None:
        self._open()
        self._writes[key] = value

    async def delete(self, key: str) -> None:
        self._open()
        self._writes[key] = DELETED

    async def get(self, key: str) -> str | None:
        self._open()
        if key in self._writes:
            written = self._writes[key]
            return None if written is DELETED else str(written)
        value, version = await self._read_versioned(key)
        self._read.setdefault(key, version)
        return value

    async def commit(self) -> None:
        self._open()
        self._done = True
        await self._commit_buffered(self._read, self._writes)

    async def rollback(self) -> None:
        self._open()
        self._done = True
        self._writes.clear()

    @abstractmethod
    async def _read_versioned(self, key: str) -> tuple[str | None, Version]:
        """The key's live value (``None`` when absent) and its version."""

    @abstractmethod
    async def _commit_buffered(self, read: dict[str, Version], writes: dict[str, object]) -> None:
        """Apply ``writes`` if no key of ``read`` moved, else raise
        ``TransactionConflictError`` having applied nothing."""
