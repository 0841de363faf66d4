"""Key-value store contract.

Fixture: ``provider_factory`` (sync) returning an async callable; ``await provider_factory()``
gives a provider with async ``set(key, value)``, ``get(key) -> str | None`` and ``delete(key)``.

Beyond the six upstream tests, every test checks one guarantee: values and keys are stored
exactly (empty, unicode, 1 MiB values, 1 KiB keys, characters that are special to SQL ``LIKE``,
Redis patterns or shells), keys are case-sensitive and never matched by prefix, a returned value
is a ``str``, concurrent writes lose nothing, and a stateful hypothesis test drives the provider
next to a ``dict`` model. Keys are unique per test, so a provider whose instances share one
backing store (as every real server does) passes.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tck_py.primitives._support import dict_model_machine, random_text, run_stateful, unique

ProviderFactory = Callable[..., Awaitable[Any]]

#: Size of the "large value" test: providers must store values of at least 1 MiB.
LARGE_VALUE_CHARS = 1024 * 1024
#: Length of the "long key" test.
LONG_KEY_CHARS = 1024
#: Number of writes issued at once by the concurrency tests.
CONCURRENT_WRITES = 200

#: Key suffixes used by the stateful test: prefixes of each other, case variants, unicode forms.
STATEFUL_KEYS = ("", "a", "A", "ab", "a/b", "a:b", "é", "e\u0301")


def _key(label: str = "key") -> str:
    return unique(label)


@pytest.mark.asyncio
class BaseTestKVStoreContract:
    """The KV store contract. Subclass it and override ``provider_factory``."""

    @pytest.fixture
    def provider_factory(self) -> ProviderFactory:
        raise NotImplementedError(
            "override the 'provider_factory' fixture in your test class: it must return an async"
            " callable that creates your KV provider"
        )

    # -- upstream tests ---------------------------------------------------------------------

    async def test_set_and_get_value(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "value-1")
        assert await provider.get(key) == "value-1"

    async def test_get_non_existent_key_returns_none(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        assert await provider.get(_key("missing")) is None

    async def test_set_overwrites_existing_value(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "first")
        await provider.set(key, "second")
        assert await provider.get(key) == "second"

    async def test_delete_removes_key(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "value")
        await provider.delete(key)
        assert await provider.get(key) is None

    async def test_delete_is_idempotent(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key("never-set")
        await provider.delete(key)
        await provider.delete(key)
        assert await provider.get(key) is None

    async def test_set_is_idempotent(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key, other = _key(), _key("other")
        for _ in range(3):
            await provider.set(key, "same")
        await provider.set(other, "different")
        assert await provider.get(key) == "same"
        assert await provider.get(other) == "different"

    # -- values are stored exactly ----------------------------------------------------------

    async def test_empty_string_value_is_stored_not_missing(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "")
        assert await provider.get(key) == ""

    async def test_values_that_look_like_other_types_are_returned_as_written(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        values = ["null", "None", "0", "1.0", "false", "[]", "{}", '"quoted"']
        keys = [_key(f"typed-{i}") for i in range(len(values))]
        for key, value in zip(keys, values, strict=True):
            await provider.set(key, value)
        assert [await provider.get(key) for key in keys] == values

    async def test_whitespace_in_values_is_preserved(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        key = _key()
        value = "  leading and trailing \t\r\n "
        await provider.set(key, value)
        assert await provider.get(key) == value

    async def test_unicode_value_round_trips(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key()
        value = "naïve café | 東京 | ключ | 🔑🚀 | e\u0301"
        await provider.set(key, value)
        assert await provider.get(key) == value

    async def test_large_value_round_trips(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key("large")
        value = random_text(LARGE_VALUE_CHARS, seed=1)
        await provider.set(key, value)
        try:
            assert await provider.get(key) == value
        finally:
            await provider.delete(key)

    async def test_returned_value_is_a_str(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "text")
        assert type(await provider.get(key)) is str

    # -- keys are matched exactly -----------------------------------------------------------

    async def test_empty_string_is_a_valid_key(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        marker = _key("value")
        await provider.set("", marker)
        try:
            assert await provider.get("") == marker
        finally:
            await provider.delete("")

    async def test_unicode_keys_are_distinct_by_code_point(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        base = _key()
        composed = base + unicodedata.normalize("NFC", "é")
        decomposed = base + unicodedata.normalize("NFD", "é")
        await provider.set(composed, "composed")
        await provider.set(decomposed, "decomposed")
        assert await provider.get(composed) == "composed"
        assert await provider.get(decomposed) == "decomposed"

    async def test_keys_with_pattern_characters_are_literal(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        base = _key()
        await provider.set(base + "-a", "plain")
        for suffix in ["-%", "-_", "-*", "-?", "-[a]", "-.*"]:
            assert await provider.get(base + suffix) is None, suffix

    async def test_keys_with_special_characters_round_trip(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        base = _key()
        suffixes = [" space", "\nnewline", "\ttab", "'quote", '"dq', "%", "_", "*", "\\", "🔑"]
        for i, suffix in enumerate(suffixes):
            await provider.set(base + suffix, f"v{i}")
        assert [await provider.get(base + s) for s in suffixes] == [
            f"v{i}" for i in range(len(suffixes))
        ]

    async def test_long_key_round_trips(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key() + random_text(LONG_KEY_CHARS, seed=2)
        await provider.set(key, "long")
        assert await provider.get(key) == "long"

    async def test_keys_are_case_sensitive(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        base = _key()
        await provider.set(base + "-key", "lower")
        await provider.set(base + "-KEY", "upper")
        assert await provider.get(base + "-key") == "lower"
        assert await provider.get(base + "-KEY") == "upper"

    async def test_get_does_not_match_a_longer_key(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        base = _key()
        await provider.set(base + "-prefix-extended", "longer")
        assert await provider.get(base + "-prefix") is None

    async def test_get_does_not_match_a_shorter_key(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        base = _key()
        await provider.set(base, "shorter")
        assert await provider.get(base + "-extended") is None

    async def test_delete_keeps_keys_that_extend_the_deleted_key(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        base = _key()
        longer = [base + "1", base + "/child", base + ":x", base + " "]
        await provider.set(base, "deleted")
        for key in longer:
            await provider.set(key, "kept")
        await provider.delete(base)
        assert await provider.get(base) is None
        assert [await provider.get(key) for key in longer] == ["kept"] * len(longer)

    async def test_delete_keeps_a_key_that_is_a_prefix_of_the_deleted_key(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        base = _key()
        await provider.set(base, "kept")
        await provider.set(base + "-longer", "deleted")
        await provider.delete(base + "-longer")
        assert await provider.get(base) == "kept"

    async def test_set_after_delete_stores_the_new_value(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "old")
        await provider.delete(key)
        await provider.set(key, "new")
        assert await provider.get(key) == "new"

    # -- concurrency ------------------------------------------------------------------------

    async def test_concurrent_writes_to_distinct_keys_are_all_kept(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        base = _key()
        keys = [f"{base}-{i}" for i in range(CONCURRENT_WRITES)]
        await asyncio.gather(*(provider.set(key, f"v{i}") for i, key in enumerate(keys)))
        values = await asyncio.gather(*(provider.get(key) for key in keys))
        assert values == [f"v{i}" for i in range(CONCURRENT_WRITES)]

    async def test_concurrent_deletes_keep_concurrently_written_keys(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        base = _key()
        doomed = [f"{base}-doomed-{i}" for i in range(CONCURRENT_WRITES // 2)]
        kept = [f"{base}-kept-{i}" for i in range(CONCURRENT_WRITES // 2)]
        for key in doomed:
            await provider.set(key, "doomed")
        await asyncio.gather(
            *(provider.delete(key) for key in doomed), *(provider.set(key, "kept") for key in kept)
        )
        assert await asyncio.gather(*(provider.get(k) for k in doomed)) == [None] * len(doomed)
        assert await asyncio.gather(*(provider.get(k) for k in kept)) == ["kept"] * len(kept)

    async def test_concurrent_writes_to_one_key_leave_one_of_the_written_values(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        key = _key()
        written = {f"writer-{i}" for i in range(50)}
        await asyncio.gather(*(provider.set(key, value) for value in written))
        assert await provider.get(key) in written

    # -- stateful ---------------------------------------------------------------------------

    async def test_behaves_like_a_dict_under_random_operations(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        await run_stateful(lambda call: _KVMachine(provider, call))


_KVMachine = dict_model_machine("_KVMachine", STATEFUL_KEYS)
