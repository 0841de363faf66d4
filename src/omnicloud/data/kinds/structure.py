"""``pattern``, ``ref``, ``json`` and nested ``object`` fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omnicloud.data.base import (
    Field,
    FieldContext,
    FieldType,
    RecordError,
    build_records,
    field_column,
    sample,
)
from omnicloud.data.pattern import Node, generate_pattern
from omnicloud.data.stream import pick
from omnicloud.data.words import WORDS


@dataclass(frozen=True)
class PatternType(FieldType):
    """``pattern:[A-Z]{3}-\\d{4}``: strings matching a regular-expression-like pattern."""

    NAME = "pattern"
    pattern: str = ""
    node: Node | None = field(default=None, metadata={"canonical": False}, compare=False)

    def column(self, ctx: FieldContext, n: int) -> list[Any]:
        assert self.node is not None, "parse.py always sets the parsed pattern"
        return generate_pattern(self.node, ctx.stream, n)


@dataclass(frozen=True)
class RefType(FieldType):
    """``ref:users.id``: a value of another dataset's field, from a uniformly chosen record.

    With ``unique = true`` each target record is used at most once (a sample without
    replacement), so ``count`` may not exceed the target's.
    """

    NAME = "ref"
    dataset: str = ""
    field: str = ""

    def column(self, ctx: FieldContext, n: int) -> list[Any]:
        target = ctx.resolve(self.dataset, self.field)
        if not target and n:
            raise RecordError(0, f"dataset '{self.dataset}' has no records to reference")
        return pick(target, ctx.stream.draw_below(len(target), n))

    def unique_column(self, ctx: FieldContext, n: int) -> list[Any] | None:
        target = ctx.resolve(self.dataset, self.field)
        return sample(target, ctx, n, f"records in dataset '{self.dataset}'")


@dataclass(frozen=True)
class JsonType(FieldType):
    """``json``: a small object of ``keys`` entries mixing strings, numbers and flags."""

    NAME = "json"
    HASHABLE = False
    keys: int = 3

    def column(self, ctx: FieldContext, n: int) -> list[Any]:
        records: list[dict[str, Any]] = [{} for _ in range(n)]
        for slot in range(self.keys):
            stream = ctx.stream.child(str(slot))
            names = pick(WORDS, stream.child("key").draw_bytes(n))
            kinds = stream.child("kind").draw_bytes(n)
            words = pick(WORDS, stream.child("word").draw_bytes(n))
            numbers = stream.child("number").draw_below(10_000, n)
            rows = zip(records, names, kinds, words, numbers, strict=True)
            for record, name, kind, word, number in rows:
                record[name] = (word, number, number % 2 == 0)[kind % 3]
        return records


@dataclass(frozen=True)
class ObjectType(FieldType):
    """A nested object: ``{ type = "object", fields = { street = "text", zip = "int" } }``."""

    NAME = "object"
    HASHABLE = False
    fields: tuple[Field, ...] = ()

    def column(self, ctx: FieldContext, n: int) -> list[Any]:
        columns = [field_column(sub, ctx.child(sub.name), n) for sub in self.fields]
        return build_records(tuple(sub.name for sub in self.fields), columns, n)
