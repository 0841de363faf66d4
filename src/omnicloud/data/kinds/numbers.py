"""``int``, ``float``, ``bool``, ``enum`` and ``choice``."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from omnicloud.data.base import FieldContext, FieldType, sample


@dataclass(frozen=True)
class IntType(FieldType):
    """``int`` / ``int:18..90``: uniform integers, both ends included."""

    NAME = "int"
    min: int = 0
    max: int = 1_000_000

    def column(self, ctx: FieldContext, n: int) -> list[Any]:
        low = self.min
        return [low + k for k in ctx.stream.draw_below(self.max - low + 1, n)]

    def distinct_values(self) -> int | None:
        return self.max - self.min + 1

    def unique_column(self, ctx: FieldContext, n: int) -> list[Any] | None:
        size = self.max - self.min + 1
        # Redraws cost little while the range is wide; near exhaustion sample the range instead.
        if size > 4 * n + 1024:
            return None
        return sample(range(self.min, self.max + 1), ctx, n, f"integers in {self.min}..{self.max}")


@dataclass(frozen=True)
class FloatType(FieldType):
    """``float`` / ``float:0..100``: uniform floats rounded to ``precision`` decimals."""

    NAME = "float"
    min: float = 0.0
    max: float = 1.0
    precision: int = 2

    def column(self, ctx: FieldContext, n: int) -> list[Any]:
        low, span, digits = self.min, self.max - self.min, self.precision
        return [round(low + span * u, digits) for u in ctx.stream.draw_floats(n)]


@dataclass(frozen=True)
class BoolType(FieldType):
    """``bool`` / ``bool:0.2``: true with the given probability."""

    NAME = "bool"
    probability: float = 0.5

    def column(self, ctx: FieldContext, n: int) -> list[Any]:
        p = self.probability
        return [u < p for u in ctx.stream.draw_floats(n)]

    def distinct_values(self) -> int | None:
        return 2


@dataclass(frozen=True)
class EnumType(FieldType):
    """``enum:a,b,c``: one of the values, uniformly."""

    NAME = "enum"
    values: tuple[Any, ...] = ()

    def column(self, ctx: FieldContext, n: int) -> list[Any]:
        return ctx.stream.draw_from(self.values, n)

    def distinct_values(self) -> int | None:
        return len(set(self.values))

    def unique_column(self, ctx: FieldContext, n: int) -> list[Any] | None:
        return sample(self.values, ctx, n, "enum values")


@dataclass(frozen=True)
class ChoiceType(FieldType):
    """``choice:free=9,pro=1``: one of the values with the given weights."""

    NAME = "choice"
    values: tuple[Any, ...] = ()
    weights: tuple[float, ...] = ()

    def column(self, ctx: FieldContext, n: int) -> list[Any]:
        cumulative = list(accumulate(self.weights))
        total = cumulative[-1]
        last = len(self.values) - 1
        values = self.values
        return [
            values[min(bisect.bisect_right(cumulative, u * total), last)]
            for u in ctx.stream.draw_floats(n)
        ]

    def distinct_values(self) -> int | None:
        return sum(1 for w in self.weights if w > 0)
