"""Counter-free, platform-independent random streams.

A ``Stream`` is a 32-byte key. Its values are the SHAKE-256 output for that key (FIPS 202), read
in little-endian words: the same key gives the same bytes on every machine, Python version and
day, with no dependence on ``random``'s implementation, hash randomisation or locale.

A stream is read once: every ``draw_*`` call on the same stream starts from the same bytes, so
independent draws use ``child(label)``. Draws are prefix-stable: the first ``k`` values of a
draw of ``n`` equal a draw of ``k``, which is why a dataset of 10 records is the first 10 records
of the same dataset with 1,000.
"""

from __future__ import annotations

import hashlib
import struct
from functools import lru_cache
from operator import itemgetter
from typing import TypeVar

T = TypeVar("T")

_U16 = 1 << 16
#: Below this many values a comprehension beats building the 65,536-entry remainder table.
_TABLE_MIN = 8192
#: Up to this bound 32 random bits pick an integer (relative bias below bound / 2**32 = 0.025 %).
_U32_BOUND_LIMIT = 1 << 20
_FLOAT_SCALE = 2.0**-53


class Stream:
    """A deterministic source of random values identified by its key."""

    __slots__ = ("key",)

    def __init__(self, key: bytes) -> None:
        self.key = key

    @classmethod
    def root(cls, *parts: str | int) -> Stream:
        """The stream for a tuple of labels (generator version, dataset, seed...)."""
        stream = cls(b"omnicloud-data")
        for part in parts:
            stream = stream.child(str(part))
        return stream

    def child(self, label: str) -> Stream:
        data = label.encode("utf-8")
        # The length prefix keeps ("ab", "c") and ("a", "bc") apart.
        digest = hashlib.blake2b(
            len(data).to_bytes(4, "little") + data, key=self.key[:64], digest_size=32
        )
        return Stream(digest.digest())

    def draw_bytes(self, n: int) -> bytes:
        return hashlib.shake_256(self.key).digest(n) if n > 0 else b""

    def draw_u16(self, n: int) -> tuple[int, ...]:
        return struct.unpack(f"<{n}H", self.draw_bytes(2 * n))

    def draw_u32(self, n: int) -> tuple[int, ...]:
        return struct.unpack(f"<{n}I", self.draw_bytes(4 * n))

    def draw_u64(self, n: int) -> tuple[int, ...]:
        return struct.unpack(f"<{n}Q", self.draw_bytes(8 * n))

    def draw_below(self, bound: int, n: int) -> list[int]:
        """``n`` integers in ``[0, bound)``.

        Bounds up to 2**16 are exact: a 16-bit value below the largest multiple of ``bound`` is
        taken modulo ``bound`` (through a lookup table for large draws) and the few others are
        redrawn from a child stream. Larger bounds use multiply-shift with 32 random bits up to
        2**20 and 64 above, so no value is ever more than 0.025 % likelier than another.
        """
        if bound <= 1:
            return [0] * n
        if bound <= _U16:
            return self._draw_small(bound, n)
        if bound <= _U32_BOUND_LIMIT:
            return [(u * bound) >> 32 for u in self.draw_u32(n)]
        return [(u * bound) >> 64 for u in self.draw_u64(n)]

    def _draw_small(self, bound: int, n: int) -> list[int]:
        raw = self.draw_u16(n)
        limit = _U16 - _U16 % bound
        if n >= _TABLE_MIN:
            values = pick(_remainders(bound), raw)
        else:
            values = [v % bound if v < limit else -1 for v in raw]
        if limit < _U16 and -1 in values:
            holes = _positions(values, -1)
            for hole, value in zip(
                holes, self.child("rejected").draw_below(bound, len(holes)), strict=True
            ):
                values[hole] = value
        return values

    def draw_floats(self, n: int) -> list[float]:
        """``n`` floats in ``[0, 1)`` with 53 random bits each."""
        return [(value >> 11) * _FLOAT_SCALE for value in self.draw_u64(n)]

    def draw_from(self, table: tuple[T, ...] | list[T], n: int) -> list[T]:
        """``n`` entries of ``table`` chosen uniformly."""
        if len(table) == 256:
            return pick(table, self.draw_bytes(n))
        return pick(table, self.draw_below(len(table), n))


@lru_cache(maxsize=16)
def _remainders(bound: int) -> tuple[int, ...]:
    """``v % bound`` for every 16-bit ``v``, -1 where ``v`` would bias the result."""
    limit = _U16 - _U16 % bound
    return tuple(v % bound if v < limit else -1 for v in range(_U16))


def _positions(values: list[int], marker: int) -> list[int]:
    """Indexes of ``marker`` in ``values`` (``list.index`` scans in C)."""
    found: list[int] = []
    try:
        while True:
            found.append(values.index(marker, found[-1] + 1 if found else 0))
    except ValueError:
        return found


def pick(table: tuple[T, ...] | list[T], indices: bytes | tuple[int, ...] | list[int]) -> list[T]:
    """``[table[i] for i in indices]`` at C speed."""
    if len(indices) == 0:
        return []
    if len(indices) == 1:
        return [table[indices[0]]]
    return list(itemgetter(*indices)(table))
