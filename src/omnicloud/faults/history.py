"""The recorded history of a fault run: every operation with its start, end and outcome.

Invariants are checked on this history, not on a single read at the end (as Jepsen does):
which writes were acknowledged, which failed, which never answered, and what was running when
the fault started and when it healed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal["ok", "fail", "hung"]


@dataclass
class Op:
    """One operation: ``outcome`` ``ok`` (acknowledged), ``fail`` (raised) or ``hung`` (no
    answer by the deadline; the call was cancelled). Times are seconds since the run began."""

    process: int
    kind: str
    key: str
    value: Any
    start: float
    end: float
    outcome: Outcome
    result: Any = None
    error: str = ""

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["result"] = repr(self.result) if self.result is not None else None
        if isinstance(self.value, bytes):
            data["value"] = self.value.decode("utf-8", "replace")
        return data


@dataclass
class History:
    """Operations and fault events (``fault``, ``heal``) on one clock."""

    began: float = field(default_factory=time.monotonic)
    ops: list[Op] = field(default_factory=list)
    events: dict[str, float] = field(default_factory=dict)

    def now(self) -> float:
        return time.monotonic() - self.began

    def mark(self, event: str) -> None:
        self.events[event] = self.now()

    async def call(
        self,
        process: int,
        kind: str,
        *,
        key: str,
        value: Any,
        action: Callable[[], Awaitable[Any]],
        deadline: float,
    ) -> Op:
        """Run ``action``, cancelled after ``deadline`` seconds (recorded as ``hung``)."""
        start = self.now()
        try:
            result = await asyncio.wait_for(action(), deadline)
        except TimeoutError:
            op = Op(process, kind, key, value, start, self.now(), "hung", error="no answer")
        except Exception as exc:  # any failure is recorded; which ones are allowed is a check
            op = Op(process, kind, key, value, start, self.now(), "fail", error=_describe(exc))
        else:
            op = Op(process, kind, key, value, start, self.now(), "ok", result=result)
        self.ops.append(op)
        return op

    def of_kind(self, *kinds: str) -> list[Op]:
        return [op for op in self.ops if op.kind in kinds]


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"[:300]
