"""Cache contract.

Fixture: ``provider_factory`` (sync) returning an async callable; ``await provider_factory()``
gives a provider with async ``set(key, value, ttl=None)`` (``ttl`` in whole seconds, passed by
keyword; ``None`` means no expiry), ``get(key) -> str | None`` (``None`` for a miss or an expired
entry) and ``delete(key)``.

Timing assumptions (real wall-clock time, ``time.monotonic``; no clock injection):

* TTLs are 1 s (the smallest whole-second TTL), so providers with whole-second granularity work.
* ``EXPIRY_GRACE_S`` (1.5 s) is how late after its TTL a provider may still return an entry
  (whole-second clocks, sweepers). Upstream slept 1.1 s and then required the miss: a 100 ms
  margin that a loaded CI machine or a second-granularity backend can miss.
* "Expired" (``test_key_expires_after_ttl``) sleeps until TTL + grace after the write returned
  and then requires the very first read to miss, so an entry returned "one last time" after its
  expiry is caught. Other expiry checks poll ``get`` every 50 ms until it misses and fail only if
  the entry is still there at TTL + grace; a correct provider ends the polling at about 1 s.
  Sleeping or reading late on a loaded machine only makes these checks more lenient.
* "Not expired early" only counts a miss whose ``get`` *finished* before ``written_before +
  ttl`` (``written_before`` taken just before the ``set`` was sent): such a miss is early however
  slow the machine is, and a slow read proves nothing, so this cannot fail a correct provider.
* "Still present" checks (TTL removed by an overwrite, keys without a TTL) sleep until the old
  TTL plus 0.25 s has passed and then expect a hit; being late only makes them stricter for the
  provider, never for a correct one.
* Expiry must be visible to ``get`` without waiting for a background sweep (a check on read is
  enough).
* Precision: ``EXPIRY_PRECISION_S`` (0.25 s) is how late an entry may still be served, measured
  from when its ``set`` returned: a read *started* after ``set returned + ttl + 0.25 s`` must
  miss. ``EXPIRY_GRACE_S`` above only gives polling checks room on a loaded machine; without
  this bound a cache serving values a whole second past their TTL passed. A slow machine only
  starts the read later, which cannot fail a correct provider.

Beyond upstream, each test checks one guarantee: empty and unicode values, case-sensitive keys
never matched by prefix, TTLs independent per key, replaced (never kept) on overwrite and on
re-creation after a delete, concurrent writes lose nothing, and a stateful hypothesis test (no
TTLs) drives the provider next to a ``dict`` model.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tck_py.primitives._support import (
    EXPIRY_GRACE_S,
    dict_model_machine,
    first_early_miss,
    poll_until_missing,
    random_text,
    run_stateful,
    sleep_until,
    unique,
)

ProviderFactory = Callable[..., Awaitable[Any]]

#: Short TTL used by the expiry tests (seconds).
SHORT_TTL = 1
#: How late after its TTL an entry may still be served (seconds; see the module doc).
EXPIRY_PRECISION_S = 0.25
#: How long past an old TTL the "still present" tests wait before reading.
PAST_OLD_TTL_S = 0.25
#: Size of the large-value test (caches such as memcached limit items to 1 MB).
LARGE_VALUE_CHARS = 256 * 1024
#: Number of writes issued at once by the concurrency test.
CONCURRENT_WRITES = 200

STATEFUL_KEYS = ("", "a", "A", "ab", "a:b", "é")


def _key(label: str = "key") -> str:
    return unique(label)


async def _assert_expires(provider: Any, key: str, ttl: float) -> None:
    written = time.monotonic()
    expired_at = await poll_until_missing(
        lambda: provider.get(key), deadline=written + ttl + EXPIRY_GRACE_S
    )
    assert expired_at is not None, (
        f"key still readable {ttl + EXPIRY_GRACE_S:.1f}s after it was written with ttl={ttl}"
    )


@pytest.mark.asyncio
class BaseTestCacheContract:
    """The cache contract. Subclass it and override ``provider_factory``."""

    @pytest.fixture
    def provider_factory(self) -> ProviderFactory:
        raise NotImplementedError(
            "override the 'provider_factory' fixture in your test class: it must return an async"
            " callable that creates your cache provider"
        )

    # -- upstream tests (the two TTL ones are with the TTL semantics below) ---------------

    async def test_set_and_get_value_without_ttl(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "value", ttl=None)
        assert await provider.get(key) == "value"

    async def test_get_non_existent_key_is_a_cache_miss(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        assert await provider.get(_key("missing")) is None

    async def test_set_with_ttl_and_get_before_expiry(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "value", ttl=60)
        assert await provider.get(key) == "value"

    async def test_delete_removes_key_before_expiry(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "value", ttl=10)
        assert await provider.get(key) == "value"
        await provider.delete(key)
        assert await provider.get(key) is None

    # -- values and keys --------------------------------------------------------------------

    async def test_empty_string_value_is_a_hit(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "", ttl=None)
        assert await provider.get(key) == ""

    async def test_values_that_look_like_other_types_are_returned_as_written(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        values = ["null", "None", "0", "false", "[]"]
        keys = [_key(f"typed-{i}") for i in range(len(values))]
        for key, value in zip(keys, values, strict=True):
            await provider.set(key, value, ttl=None)
        assert [await provider.get(key) for key in keys] == values

    async def test_unicode_value_round_trips(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key()
        value = "naïve café | 東京 | 🔑 | e\u0301"
        await provider.set(key, value, ttl=None)
        assert await provider.get(key) == value

    async def test_large_value_round_trips(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key("large")
        value = random_text(LARGE_VALUE_CHARS, seed=3)
        await provider.set(key, value, ttl=None)
        try:
            assert await provider.get(key) == value
        finally:
            await provider.delete(key)

    async def test_keys_are_case_sensitive(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        base = _key()
        await provider.set(base + "-key", "lower", ttl=None)
        await provider.set(base + "-KEY", "upper", ttl=None)
        assert await provider.get(base + "-key") == "lower"
        assert await provider.get(base + "-KEY") == "upper"

    async def test_get_does_not_match_a_longer_key(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        base = _key()
        await provider.set(base + "-extended", "longer", ttl=None)
        assert await provider.get(base) is None

    async def test_delete_keeps_keys_that_extend_the_deleted_key(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        base = _key()
        longer = [base + "1", base + ":child", base + "/x"]
        await provider.set(base, "deleted", ttl=None)
        for key in longer:
            await provider.set(key, "kept", ttl=None)
        await provider.delete(base)
        assert [await provider.get(key) for key in longer] == ["kept"] * len(longer)

    async def test_delete_is_idempotent(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key("never-set")
        await provider.delete(key)
        await provider.delete(key)
        assert await provider.get(key) is None

    async def test_concurrent_writes_to_distinct_keys_are_all_kept(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        base = _key()
        keys = [f"{base}-{i}" for i in range(CONCURRENT_WRITES)]
        await asyncio.gather(*(provider.set(k, f"v{i}", ttl=None) for i, k in enumerate(keys)))
        values = await asyncio.gather(*(provider.get(key) for key in keys))
        assert values == [f"v{i}" for i in range(CONCURRENT_WRITES)]

    # -- TTL semantics (last: they sleep; see the module doc for the timing assumptions) --

    async def test_key_expires_after_ttl(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "value", ttl=SHORT_TTL)
        await sleep_until(time.monotonic() + SHORT_TTL + EXPIRY_GRACE_S)
        assert await provider.get(key) is None, (
            f"the first read {SHORT_TTL + EXPIRY_GRACE_S}s after a ttl={SHORT_TTL} write hit"
        )

    async def test_expiry_is_late_by_at_most_the_precision(
        self, provider_factory: ProviderFactory
    ) -> None:
        """A read started ``EXPIRY_PRECISION_S`` (0.25 s) after the TTL passed must miss.

        The other expiry tests allow ``EXPIRY_GRACE_S`` (1.5 s) for polling on loaded machines,
        so a cache serving values up to a second after their TTL passed them all.
        """
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "value", ttl=SHORT_TTL)
        due = time.monotonic() + SHORT_TTL + EXPIRY_PRECISION_S
        await sleep_until(due)
        started = time.monotonic()
        assert await provider.get(key) is None, (
            f"a ttl={SHORT_TTL}s entry was still served {started - due + EXPIRY_PRECISION_S:.2f}s"
            f" after its TTL (precision: {EXPIRY_PRECISION_S}s)"
        )

    async def test_set_overwrites_existing_value_and_ttl(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "old", ttl=60)
        await provider.set(key, "new", ttl=SHORT_TTL)
        assert await provider.get(key) in ("new", None)  # None only if the machine stalled 1 s
        await _assert_expires(provider, key, SHORT_TTL)

    async def test_key_is_not_expired_before_its_ttl(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        key = _key()
        written_before = time.monotonic()
        await provider.set(key, "value", ttl=SHORT_TTL)
        early = await first_early_miss(
            lambda: provider.get(key), written_before=written_before, ttl=SHORT_TTL
        )
        assert early is None, f"ttl={SHORT_TTL}s entry was missing after only {early:.3f}s"

    async def test_overwrite_returns_the_new_value(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "old", ttl=60)
        await provider.set(key, "new", ttl=30)
        assert await provider.get(key) == "new"

    async def test_overwrite_without_ttl_removes_the_old_ttl(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "expiring", ttl=SHORT_TTL)
        await provider.set(key, "permanent", ttl=None)
        written = time.monotonic()
        await sleep_until(written + SHORT_TTL + PAST_OLD_TTL_S)
        assert await provider.get(key) == "permanent"

    async def test_recreated_key_does_not_inherit_the_deleted_keys_ttl(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.set(key, "expiring", ttl=SHORT_TTL)
        await provider.delete(key)
        await provider.set(key, "permanent", ttl=None)
        written = time.monotonic()
        await sleep_until(written + SHORT_TTL + PAST_OLD_TTL_S)
        assert await provider.get(key) == "permanent"

    async def test_ttl_of_one_key_does_not_expire_another(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        expiring, permanent = _key("expiring"), _key("permanent")
        await provider.set(permanent, "permanent", ttl=None)
        await provider.set(expiring, "expiring", ttl=SHORT_TTL)
        await _assert_expires(provider, expiring, SHORT_TTL)
        assert await provider.get(permanent) == "permanent"

    # -- stateful ---------------------------------------------------------------------------

    async def test_behaves_like_a_dict_under_random_operations_without_ttl(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        await run_stateful(lambda call: _CacheMachine(provider, call))


_CacheMachine = dict_model_machine("_CacheMachine", STATEFUL_KEYS, ttl=None)
