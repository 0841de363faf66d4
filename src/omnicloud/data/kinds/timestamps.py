"""``timestamp``: instants relative to the dataset's epoch, never to the clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from omnicloud.data.base import FieldContext, FieldType, joined
from omnicloud.data.stream import pick

_DAY = 86_400


@lru_cache(maxsize=1)
def _times_of_day() -> tuple[str, ...]:
    return tuple(f"T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z\n" for s in range(_DAY))


_MINUTES = tuple(f"T{m // 60:02d}:{m % 60:02d}:" for m in range(1440))
_SECONDS = tuple(f"{s:02d}Z\n" for s in range(60))


@lru_cache(maxsize=16)
def _dates(first_day: int, days: int) -> tuple[str, ...]:
    start = dt.date(1970, 1, 1) + dt.timedelta(days=first_day)
    return tuple((start + dt.timedelta(days=d)).isoformat() for d in range(days))


@dataclass(frozen=True)
class TimestampType(FieldType):
    """``timestamp``: a UTC instant in ``[since, until)``, one-second resolution.

    Both default relative to the dataset's ``epoch`` (the stand-in for "now"): ``until`` is the
    epoch and ``since`` 365 days earlier. ``format`` is "iso" (2024-03-05T12:34:56Z), "date"
    (2024-03-05) or "unix" (seconds).
    """

    NAME = "timestamp"
    since: int | None = None
    until: int | None = None
    format: str = "iso"

    def bounds(self, epoch: int) -> tuple[int, int]:
        until = epoch if self.until is None else self.until
        since = until - 365 * _DAY if self.since is None else self.since
        return since, until

    def column(self, ctx: FieldContext, n: int) -> list[Any]:
        since, until = self.bounds(ctx.epoch)
        if self.format == "unix":
            return [since + k for k in ctx.stream.draw_below(until - since, n)]
        first_day, first_second = divmod(since, _DAY)
        dates = _dates(first_day, (first_second + until - since) // _DAY + 1)
        if first_second == 0 and (until - since) % _DAY == 0:
            # Whole days (the default window): day, minute and second are independent exact
            # draws, and the text is joined from three tables.
            day_index = ctx.stream.child("day").draw_below((until - since) // _DAY, n)
            if self.format == "date":
                return pick(dates, day_index)
            minutes = pick(_MINUTES, ctx.stream.child("minute").draw_below(1440, n))
            seconds = pick(_SECONDS, ctx.stream.child("second").draw_below(60, n))
            return joined(pick(dates, day_index), minutes, seconds)
        offsets = ctx.stream.draw_below(until - since, n)
        day_index, second = _split_days(first_second, offsets)
        if self.format == "date":
            return pick(dates, day_index)
        return joined(pick(dates, day_index), pick(_times_of_day(), second))


def _split_days(first_second: int, offsets: list[int]) -> tuple[list[int], list[int]]:
    seconds = [first_second + k for k in offsets]
    return [s // _DAY for s in seconds], [s % _DAY for s in seconds]
