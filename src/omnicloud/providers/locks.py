"""What every lock handle of the providers shares: ``async with lock`` acquires and releases."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType


class LockHandle(ABC):
    """A lock handle: ``acquire``/``release`` by the backend; ``async with`` gives whether the
    lock was obtained and releases it on the way out."""

    @abstractmethod
    async def acquire(self) -> bool:
        """``True`` when obtained, ``False`` when another owner holds it."""

    @abstractmethod
    async def release(self) -> None:
        """Give the lock up if this handle holds it."""

    async def __aenter__(self) -> bool:
        return await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.release()
