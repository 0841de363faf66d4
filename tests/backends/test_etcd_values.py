"""Pure parts of the etcd store: prefix ranges and the value encoding that carries deadlines."""

from __future__ import annotations

import math

import pytest

from omnicloud.providers.etcd._gateway import range_end
from omnicloud.providers.etcd._values import decode_value, encode_value


def test_range_end_skips_trailing_ff_bytes() -> None:
    assert range_end(b"a\xff\xff") == b"b"
    assert range_end(b"\xff") == b"\x00"  # etcd: to the end of the keyspace
    assert range_end(b"ns/kv/") == b"ns/kv0"


@pytest.mark.parametrize("value", ["", "plain", "nul\x00inside", "☃"])
@pytest.mark.parametrize("deadline", [None, 0.0, 1.5e9, math.inf])
def test_etcd_values_round_trip(value: str, deadline: float | None) -> None:
    stored = decode_value(encode_value(value, deadline))
    assert (stored.value, stored.deadline) == (value, deadline)


def test_an_etcd_value_is_alive_until_its_deadline() -> None:
    assert decode_value(encode_value("v", 10.0)).alive(9.999)
    assert not decode_value(encode_value("v", 10.0)).alive(10.0)
    assert decode_value(encode_value("v")).alive(math.inf)
