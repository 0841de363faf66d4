"""People (``name``, ``first_name``, ``last_name``, ``email``), ``word`` and ``text``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Any

from omnicloud.data.base import FieldContext, FieldType, joined
from omnicloud.data.stream import pick
from omnicloud.data.words import DOMAINS, FIRST_NAMES, LAST_NAMES, WORDS

PERSON_PARTS = ("name", "first_name", "last_name", "email")


@lru_cache(maxsize=1)
def _people() -> tuple[tuple[str, ...], ...]:
    """Full, first, last and mailbox names for every 16-bit person index, and mail suffixes.

    Built once (~0.1 s) so that generating a name is one table lookup and an email one lookup
    and one concatenation.
    """
    indices = range(1 << 16)
    first = tuple(FIRST_NAMES[i & 0xFF] for i in indices)
    last = tuple(LAST_NAMES[i >> 8] for i in indices)
    full = tuple(map(" ".join, zip(first, last, strict=True)))
    local = tuple(f"{a.lower()}.{b.lower()}" for a, b in zip(first, last, strict=True))
    suffixes = tuple(f"{i >> 3}@{DOMAINS[i & 7]}\n" for i in indices)  # "\n": see _joined
    return full, first, last, local, suffixes


@dataclass(frozen=True)
class PersonType(FieldType):
    """``name``, ``first_name``, ``last_name``, ``email``: one person per record.

    Fields of a dataset with the same ``person`` (default "default") describe the same person, so
    ``email`` matches ``name``. Addresses use the reserved example.* domains.
    """

    NAME = "name"
    part: str = "name"
    person: str = "default"

    def column(self, ctx: FieldContext, n: int) -> list[Any]:
        who = ctx.shared.child(f"person:{self.person}").draw_u16(n)
        full, first, last, local, suffixes = _people()
        if self.part == "name":
            return pick(full, who)
        if self.part == "first_name":
            return pick(first, who)
        if self.part == "last_name":
            return pick(last, who)
        mail = pick(suffixes, ctx.stream.child("suffix").draw_u16(n))
        return joined(pick(local, who), mail)

    def distinct_values(self) -> int | None:
        return None if self.part == "email" else 1 << 16

    def canonical(self) -> dict[str, Any]:
        return {"type": self.part, "person": self.person}


@dataclass(frozen=True)
class WordType(FieldType):
    """``word``: one word from the built-in table."""

    NAME = "word"

    def column(self, ctx: FieldContext, n: int) -> list[Any]:
        return pick(WORDS, ctx.stream.draw_bytes(n))

    def distinct_values(self) -> int | None:
        return len(WORDS)


@dataclass(frozen=True)
class TextType(FieldType):
    """``text`` / ``text:3..12``: a sentence of ``min``..``max`` words."""

    NAME = "text"
    min: int = 4
    max: int = 12

    def column(self, ctx: FieldContext, n: int) -> list[Any]:
        lengths = [
            self.min + k for k in ctx.stream.child("length").draw_below(self.max - self.min + 1, n)
        ]
        pool = pick(WORDS, ctx.stream.child("words").draw_bytes(sum(lengths)))
        ends = list(accumulate(lengths))
        starts = [0, *ends[:-1]]
        return [_sentence(pool[a:b]) for a, b in zip(starts, ends, strict=True)]


def _sentence(words: list[str]) -> str:
    text = " ".join(words)
    return text[:1].upper() + text[1:] + "." if text else ""
