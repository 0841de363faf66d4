"""How the etcd store encodes a value: a one-byte header, then an optional deadline. Pure.

``b"\\x00" + value`` never expires; ``b"\\x01" + <8-byte float deadline> + value`` expires at
``deadline`` (seconds since the epoch, the writer's clock). etcd leases count whole seconds and
its lessor looks for expired leases twice a second, so a lease alone can outlive a 0.3 s TTL by
more than a second: the deadline makes the value unreadable exactly on time, and the lease
(rounded up) then deletes it from the server.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_PLAIN = b"\x00"
_EXPIRING = b"\x01"
_DEADLINE = struct.Struct(">d")


@dataclass(frozen=True)
class Stored:
    value: str
    deadline: float | None

    def alive(self, now: float) -> bool:
        return self.deadline is None or self.deadline > now


def encode_value(value: str, deadline: float | None = None) -> bytes:
    data = value.encode("utf-8", "surrogatepass")
    if deadline is None:
        return _PLAIN + data
    return _EXPIRING + _DEADLINE.pack(deadline) + data


def decode_value(raw: bytes) -> Stored:
    if raw[:1] == _EXPIRING:
        (deadline,) = _DEADLINE.unpack_from(raw, 1)
        return Stored(raw[1 + _DEADLINE.size :].decode("utf-8", "surrogatepass"), deadline)
    return Stored(raw[1:].decode("utf-8", "surrogatepass"), None)
