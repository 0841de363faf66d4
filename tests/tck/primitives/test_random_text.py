"""The suites' large values: deterministic, full-size, mixed ASCII and non-ASCII, not a pattern."""

from __future__ import annotations

from tck_py.primitives._support import random_text


def test_the_same_seed_gives_the_same_text_and_another_seed_another() -> None:
    random_text.cache_clear()  # computed again, not the cached string
    first = random_text(4096, seed=7)
    random_text.cache_clear()
    assert random_text(4096, seed=7) == first
    assert random_text(4096, seed=8) != first


def test_a_megabyte_has_its_size_and_every_kind_of_character() -> None:
    text = random_text(1024 * 1024, seed=1)
    assert len(text) == 1024 * 1024
    assert {"é", "中", "🔑", " ", "/"} <= set(text)
    assert len(text.encode("utf-8")) > len(text)  # multi-byte in UTF-8: lengths differ


def test_the_text_does_not_repeat_itself() -> None:
    text = random_text(1024 * 1024, seed=1)
    window = text[:64]
    assert text.count(window) == 1  # no period: a provider that truncates or dedupes shows
    assert text[: len(text) // 2] != text[len(text) // 2 :]
