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
from operator import itemgetter
from typing import TypeVar

T = TypeVar("T")

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
        """``n`` integers in ``[0, bound)`` by multiply-shift.

        32 random bits per value up to a bound of 2**20, 64 above, so no value is ever more than
        0.025 % likelier than another.
        """
        if bound <= 1:
            return [0] * n
        if bound <= _U32_BOUND_LIMIT:
            return [(u * bound) >> 32 for u in self.draw_u32(n)]
        return [(u * bound) >> 64 for u in self.draw_u64(n)]

    def draw_floats(self, n: int) -> list[float]:
        """``n`` floats in ``[0, 1)`` with 53 random bits each."""
        return [(value >> 11) * _FLOAT_SCALE for value in self.draw_u64(n)]

    def draw_from(self, table: tuple[T, ...] | list[T], n: int) -> list[T]:
        """``n`` entries of ``table`` chosen uniformly."""
        if len(table) == 256:
            return pick(table, self.draw_bytes(n))
        return pick(table, self.draw_below(len(table), n))


def pick(table: tuple[T, ...] | list[T], indices: bytes | tuple[int, ...] | list[int]) -> list[T]:
    """``[table[i] for i in indices]`` at C speed."""
    if len(indices) == 0:
        return []
    if len(indices) == 1:
        return [table[indices[0]]]
    return list(itemgetter(*indices)(table))
