"""Streams: pinned bytes, prefix stability across code paths, exact small bounds."""

from __future__ import annotations

from collections import Counter

import pytest

from omnicloud.data.stream import Stream


def test_streams_are_pinned() -> None:
    stream = Stream.root("1", "users", 42)
    assert stream.draw_bytes(8).hex() == stream.draw_bytes(16).hex()[:16]
    assert stream.child("a").key != stream.child("b").key
    # (("ab", "c") and ("a", "bc") are different paths)
    assert Stream.root("ab", "c").key != Stream.root("a", "bc").key
    assert Stream.root("x").draw_below(1000, 5) == Stream.root("x").draw_below(1000, 5)


@pytest.mark.parametrize("bound", [3, 365, 1000, 1440, 65536, 86400, 5_000_000])
def test_small_and_large_draws_agree_on_their_prefix(bound: int) -> None:
    """Draws under and over the lookup-table threshold must give the same values."""
    stream = Stream.root("prefix", bound)
    large = stream.draw_below(bound, 20_000)
    assert stream.draw_below(bound, 100) == large[:100]
    assert stream.draw_below(bound, 9000)[:8000] == large[:8000]
    assert min(large) >= 0
    assert max(large) < bound


def test_small_bounds_are_uniform_and_complete() -> None:
    counts = Counter(Stream.root("u").draw_below(7, 70_000))
    assert sorted(counts) == list(range(7))
    assert max(counts.values()) - min(counts.values()) < 500


def test_floats_are_in_unit_interval() -> None:
    values = Stream.root("f").draw_floats(10_000)
    assert all(0.0 <= v < 1.0 for v in values)
    assert 0.48 < sum(values) / len(values) < 0.52
