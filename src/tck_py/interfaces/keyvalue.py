"""KeyValue interfaces: basic, scan, ttl, transactional, batch, cas.

Values are ``str`` (as in the kv_store contract, whose set/get/delete are keyvalue_basic's core).
TTLs are seconds as floats. Timing: TTLs of 0.3 s are polled for up to 1.5 s; "not early" checks
use 1-2 s TTLs and only assert while the elapsed time is safely below them.
"""

from __future__ import annotations

import asyncio
import math
import time

import hypothesis.strategies as st
import pytest
from hypothesis.stateful import invariant, rule

from tck_py.interfaces._support import (
    InterfaceSuite,
    ProviderFactory,
    ProviderMachine,
    eventually,
    observe_until,
    run_machine,
    unique,
)
from tck_py.interfaces.errors import TransactionConflictError

SHORT_TTL = 0.3
EXPIRY_DEADLINE = 1.5


class _KVMachine(ProviderMachine):
    """keyvalue_basic against a dict: set/delete on a few colliding keys, then compare."""

    def __init__(self) -> None:
        super().__init__()
        self.prefix = unique("sm") + ":"
        self.model: dict[str, str] = {}

    keys = st.sampled_from(["a", "b", "ab", "A"])

    @rule(key=keys, value=st.text(max_size=8))
    def set(self, key: str, value: str) -> None:
        self.call(self.provider.set(self.prefix + key, value))
        self.model[key] = value

    @rule(key=keys)
    def delete(self, key: str) -> None:
        self.call(self.provider.delete(self.prefix + key))
        self.model.pop(key, None)

    @invariant()
    def agrees(self) -> None:
        for key in ("a", "b", "ab", "A"):
            assert self.call(self.provider.get(self.prefix + key)) == self.model.get(key)
            assert self.call(self.provider.exists(self.prefix + key)) is (key in self.model)


class BaseTestKeyValueBasicInterface(InterfaceSuite):
    """keyvalue_basic: set, get, delete, exists."""

    interface = "keyvalue_basic"

    async def test_set_then_get_returns_the_value(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        await p.set(key, "v1")
        assert await p.get(key) == "v1"

    async def test_get_of_a_missing_key_is_none(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        assert await p.get(unique("missing")) is None

    async def test_set_overwrites(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        await p.set(key, "first")
        await p.set(key, "second")
        assert await p.get(key) == "second"

    async def test_exists_follows_set_and_delete(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        assert await p.exists(key) is False
        await p.set(key, "v")
        assert await p.exists(key) is True
        await p.delete(key)
        assert await p.exists(key) is False
        assert await p.get(key) is None

    async def test_delete_of_a_missing_key_is_harmless(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key, other = await provider_factory(), unique(), unique()
        await p.set(other, "kept")
        await p.delete(key)
        await p.delete(key)
        assert await p.get(other) == "kept"
        assert await p.exists(key) is False

    async def test_empty_value_is_present(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        await p.set(key, "")
        assert await p.get(key) == ""
        assert await p.exists(key) is True

    @pytest.mark.parametrize(
        "value", ["naïve ☃ 日本語 🚀", "line1\nline2\r\n", "tab\tnul\x00end", "  padded  "]
    )
    async def test_unusual_values_round_trip(
        self, provider_factory: ProviderFactory, value: str
    ) -> None:
        p, key = await provider_factory(), unique()
        await p.set(key, value)
        assert await p.get(key) == value

    async def test_unusual_keys_are_distinct(self, provider_factory: ProviderFactory) -> None:
        p, base = await provider_factory(), unique()
        keys = [base, base + ":x", base.upper(), base + " ", base + "/ü", base + "*"]
        for index, key in enumerate(keys):
            await p.set(key, str(index))
        for index, key in enumerate(keys):
            assert await p.get(key) == str(index)

    async def test_delete_of_a_prefix_key_leaves_longer_keys(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique()
        await p.set(key, "short")
        await p.set(key + "suffix", "long")
        await p.delete(key)
        assert await p.get(key + "suffix") == "long"

    async def test_large_value_round_trips(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        value = "0123456789abcdef" * 65536  # 1 MiB
        await p.set(key, value)
        assert await p.get(key) == value

    async def test_concurrent_writes_to_distinct_keys_lose_nothing(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, base = await provider_factory(), unique()
        await asyncio.gather(*(p.set(f"{base}:{i}", f"v{i}") for i in range(100)))
        values = await asyncio.gather(*(p.get(f"{base}:{i}") for i in range(100)))
        assert values == [f"v{i}" for i in range(100)]

    async def test_concurrent_writes_to_one_key_leave_one_of_them(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique()
        await asyncio.gather(*(p.set(key, f"v{i}") for i in range(50)))
        assert await p.get(key) in {f"v{i}" for i in range(50)}

    async def test_matches_a_dict_model(self, provider_factory: ProviderFactory) -> None:
        await run_machine(_KVMachine, provider_factory)


class BaseTestKeyValueScanInterface(InterfaceSuite):
    """keyvalue_scan: scan, scan_keys, count by literal prefix, sorted by key."""

    interface = "keyvalue_scan"

    async def _seed(self, p: object, base: str) -> None:
        for i in (3, 0, 4, 1, 2):  # not in key order: results must be sorted, not as inserted
            await p.set(f"{base}user:{i}", f"u{i}")  # type: ignore[attr-defined]
            await p.set(f"{base}post:{i}", f"p{i}")  # type: ignore[attr-defined]

    async def test_scan_returns_exactly_the_prefixed_pairs_sorted(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, base = await provider_factory(), unique()
        await self._seed(p, base)
        pairs = await p.scan(f"{base}user:")
        assert [tuple(x) for x in pairs] == [(f"{base}user:{i}", f"u{i}") for i in range(5)]

    async def test_scan_keys_matches_scan(self, provider_factory: ProviderFactory) -> None:
        p, base = await provider_factory(), unique()
        await self._seed(p, base)
        keys = await p.scan_keys(f"{base}post:")
        assert list(keys) == [f"{base}post:{i}" for i in range(5)]
        assert [k for k, _ in await p.scan(base)] == list(await p.scan_keys(base))

    async def test_limit_returns_the_first_keys_in_order(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, base = await provider_factory(), unique()
        for i in reversed(range(20)):
            await p.set(f"{base}{i:02d}", str(i))
        assert list(await p.scan_keys(base, 10)) == [f"{base}{i:02d}" for i in range(10)]
        assert len(await p.scan(base, limit=3)) == 3
        assert list(await p.scan_keys(base, 0)) == []

    async def test_count_by_prefix(self, provider_factory: ProviderFactory) -> None:
        p, base = await provider_factory(), unique()
        await self._seed(p, base)
        assert await p.count(f"{base}user:") == 5
        assert await p.count(base) == 10
        await p.delete(f"{base}user:0")
        assert await p.count(f"{base}user:") == 4
        assert await p.count(unique("none")) == 0

    async def test_empty_prefix_includes_every_key(self, provider_factory: ProviderFactory) -> None:
        p, base = await provider_factory(), unique()
        await self._seed(p, base)
        everything = set(await p.scan_keys())
        assert {f"{base}user:{i}" for i in range(5)} <= everything
        assert await p.count() >= 10

    async def test_prefix_is_literal_not_a_pattern(self, provider_factory: ProviderFactory) -> None:
        p, base = await provider_factory(), unique()
        for suffix in ("a*", "ab", "a?", "a[b]", "a.c", "abc"):
            await p.set(base + suffix, suffix)
        assert list(await p.scan_keys(base + "a*")) == [base + "a*"]
        assert list(await p.scan_keys(base + "a?")) == [base + "a?"]
        assert list(await p.scan_keys(base + "a[")) == [base + "a[b]"]
        assert list(await p.scan_keys(base + "a.")) == [base + "a.c"]

    async def test_prefix_is_case_sensitive(self, provider_factory: ProviderFactory) -> None:
        p, base = await provider_factory(), unique()
        await p.set(base + "Key", "1")
        await p.set(base + "key", "2")
        assert list(await p.scan_keys(base + "k")) == [base + "key"]

    async def test_scan_sees_current_values_and_no_deleted_keys(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, base = await provider_factory(), unique()
        await p.set(base + "a", "old")
        await p.set(base + "b", "gone")
        await p.set(base + "a", "new")
        await p.delete(base + "b")
        assert [tuple(x) for x in await p.scan(base)] == [(base + "a", "new")]


class BaseTestKeyValueTTLInterface(InterfaceSuite):
    """keyvalue_ttl: set_with_ttl, expire, get_ttl, persist."""

    interface = "keyvalue_ttl"

    async def _gone(self, p: object, key: str) -> bool:
        async def check() -> bool:
            return await p.exists(key) is False and await p.get(key) is None  # type: ignore

        return await eventually(check, EXPIRY_DEADLINE)

    async def test_value_with_ttl_is_present_at_first(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique()
        await p.set_with_ttl(key, "v", 60)
        assert await p.get(key) == "v"
        remaining = await p.get_ttl(key)
        assert remaining is not None
        assert 0 < remaining <= 60

    async def test_value_expires(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        await p.set_with_ttl(key, "v", SHORT_TTL)
        assert await self._gone(p, key), f"key still present {EXPIRY_DEADLINE}s after a 0.3s TTL"
        assert await p.get_ttl(key) is None

    async def test_value_does_not_expire_early(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        started = time.monotonic()
        await p.set_with_ttl(key, "v", 2.0)
        seen = await observe_until(lambda: p.get(key), 1.3, started=started)
        # the TTL cannot end before started + 2 s; 0.3 s of margin for a remote server's clock
        early = [(round(t, 2), v) for t, v in seen if t < 1.7 and v != "v"]
        assert early == [], "the value expired before its 2 s TTL"

    async def test_ttl_of_a_persistent_key_is_infinite(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique()
        await p.set(key, "v")
        assert await p.get_ttl(key) == math.inf
        assert await p.get_ttl(unique("missing")) is None

    async def test_plain_set_clears_the_ttl(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        await p.set_with_ttl(key, "old", SHORT_TTL)
        await p.set(key, "new")
        assert await p.get_ttl(key) == math.inf
        await asyncio.sleep(SHORT_TTL * 2)
        assert await p.get(key) == "new"

    async def test_overwrite_with_ttl_resets_it(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        await p.set_with_ttl(key, "old", SHORT_TTL)
        await p.set_with_ttl(key, "new", 60)
        await asyncio.sleep(SHORT_TTL * 2)
        assert await p.get(key) == "new"

    async def test_expire_refreshes_the_ttl(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        await p.set_with_ttl(key, "v", SHORT_TTL)
        assert await p.expire(key, 60) is True
        await asyncio.sleep(SHORT_TTL * 2)
        assert await p.get(key) == "v"
        remaining = await p.get_ttl(key)
        assert remaining is not None
        assert 1 < remaining <= 60

    async def test_expire_sets_a_ttl_on_a_persistent_key(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique()
        await p.set(key, "v")
        assert await p.expire(key, SHORT_TTL) is True
        assert await self._gone(p, key)

    async def test_expire_of_a_missing_key_is_false_and_creates_nothing(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique()
        assert await p.expire(key, 60) is False
        assert await p.exists(key) is False

    async def test_expire_with_zero_deletes_now(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        await p.set(key, "v")
        assert await p.expire(key, 0) is True
        assert await p.get(key) is None

    async def test_persist_removes_the_ttl(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        await p.set_with_ttl(key, "v", SHORT_TTL)
        assert await p.persist(key) is True
        assert await p.persist(key) is False
        await asyncio.sleep(SHORT_TTL * 2)
        assert await p.get(key) == "v"
        assert await p.get_ttl(key) == math.inf
        assert await p.persist(unique("missing")) is False

    async def test_keys_expire_independently(self, provider_factory: ProviderFactory) -> None:
        p, short, long_ = await provider_factory(), unique(), unique()
        await p.set_with_ttl(short, "s", SHORT_TTL)
        await p.set_with_ttl(long_, "l", 60)
        assert await self._gone(p, short)
        assert await p.get(long_) == "l"

    async def test_delete_before_expiry(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        await p.set_with_ttl(key, "v", 60)
        await p.delete(key)
        assert await p.get(key) is None
        assert await p.get_ttl(key) is None

    @pytest.mark.parametrize("ttl", [0, -1])
    async def test_non_positive_ttl_is_rejected(
        self, provider_factory: ProviderFactory, ttl: float
    ) -> None:
        p, key = await provider_factory(), unique()
        with pytest.raises(ValueError):
            await p.set_with_ttl(key, "v", ttl)
        assert await p.exists(key) is False


class BaseTestKeyValueTransactionalInterface(InterfaceSuite):
    """keyvalue_transactional: begin_transaction() -> tx with set/get/delete/commit/rollback."""

    interface = "keyvalue_transactional"

    async def test_writes_are_invisible_until_commit(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, a, b = await provider_factory(), unique(), unique()
        await p.set(a, "old")
        tx = await p.begin_transaction()
        await tx.set(a, "new")
        await tx.set(b, "created")
        assert await p.get(a) == "old"
        assert await p.get(b) is None
        await tx.commit()
        assert (await p.get(a), await p.get(b)) == ("new", "created")

    async def test_rollback_discards_everything(self, provider_factory: ProviderFactory) -> None:
        p, a, b = await provider_factory(), unique(), unique()
        await p.set(a, "old")
        tx = await p.begin_transaction()
        await tx.set(a, "new")
        await tx.delete(a)
        await tx.set(b, "x")
        await tx.rollback()
        assert (await p.get(a), await p.get(b)) == ("old", None)

    async def test_reads_see_own_writes(self, provider_factory: ProviderFactory) -> None:
        p, a = await provider_factory(), unique()
        await p.set(a, "old")
        tx = await p.begin_transaction()
        assert await tx.get(a) == "old"
        await tx.set(a, "mine")
        assert await tx.get(a) == "mine"
        await tx.delete(a)
        assert await tx.get(a) is None
        await tx.rollback()

    async def test_delete_in_a_transaction(self, provider_factory: ProviderFactory) -> None:
        p, a = await provider_factory(), unique()
        await p.set(a, "v")
        tx = await p.begin_transaction()
        await tx.delete(a)
        assert await p.get(a) == "v"
        await tx.commit()
        assert await p.get(a) is None

    async def test_conflicting_commit_is_refused_and_applies_nothing(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, a, b = await provider_factory(), unique(), unique()
        await p.set(a, "1")
        tx = await p.begin_transaction()
        seen = await tx.get(a)
        await p.set(a, "changed-outside")
        await tx.set(a, f"{seen}+1")
        await tx.set(b, "side-effect")
        with pytest.raises(TransactionConflictError):
            await tx.commit()
        assert (await p.get(a), await p.get(b)) == ("changed-outside", None)

    async def test_concurrent_read_modify_write_loses_no_update(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, counter = await provider_factory(), unique()
        await p.set(counter, "0")

        async def increment() -> None:
            for _ in range(200):
                tx = await p.begin_transaction()
                value = int(await tx.get(counter) or "0")
                await asyncio.sleep(0)
                await tx.set(counter, str(value + 1))
                try:
                    await tx.commit()
                    return
                except TransactionConflictError:
                    continue
            raise AssertionError("no commit succeeded in 200 attempts")

        await asyncio.gather(*(increment() for _ in range(10)))
        assert await p.get(counter) == "10"


class BaseTestKeyValueBatchInterface(InterfaceSuite):
    """keyvalue_batch: batch_set, batch_get (in key order), batch_delete (count)."""

    interface = "keyvalue_batch"

    async def test_batch_set_then_get_in_order(self, provider_factory: ProviderFactory) -> None:
        p, base = await provider_factory(), unique()
        items = {f"{base}:{i}": f"v{i}" for i in range(10)}
        await p.batch_set(items)
        keys = [f"{base}:{i}" for i in (3, 1, 99, 7)]
        assert list(await p.batch_get(keys)) == ["v3", "v1", None, "v7"]
        assert await p.get(f"{base}:9") == "v9"

    async def test_repeated_keys_read_the_same_value(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique()
        await p.set(key, "v")
        assert list(await p.batch_get([key, key])) == ["v", "v"]

    async def test_batch_set_overwrites(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        await p.set(key, "old")
        await p.batch_set({key: "new"})
        assert await p.get(key) == "new"

    async def test_batch_delete_counts_existing_keys(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, base = await provider_factory(), unique()
        await p.batch_set({f"{base}:a": "1", f"{base}:b": "2", f"{base}:c": "3"})
        removed = await p.batch_delete([f"{base}:a", f"{base}:b", f"{base}:missing"])
        assert removed == 2
        assert list(await p.batch_get([f"{base}:a", f"{base}:b", f"{base}:c"])) == [
            None,
            None,
            "3",
        ]

    async def test_empty_batches(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        await p.batch_set({})
        assert list(await p.batch_get([])) == []
        assert await p.batch_delete([]) == 0

    async def test_large_batch(self, provider_factory: ProviderFactory) -> None:
        p, base = await provider_factory(), unique()
        items = {f"{base}:{i}": str(i) for i in range(500)}
        await p.batch_set(items)
        assert list(await p.batch_get(list(items))) == list(items.values())
        assert await p.batch_delete(list(items)) == 500


class BaseTestKeyValueCASInterface(InterfaceSuite):
    """keyvalue_cas: compare_and_swap, compare_and_delete."""

    interface = "keyvalue_cas"

    async def test_swap_with_none_creates_only_if_absent(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique()
        assert await p.compare_and_swap(key, None, "first") is True
        assert await p.compare_and_swap(key, None, "second") is False
        assert await p.get(key) == "first"

    async def test_swap_only_on_a_match(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        await p.set(key, "a")
        assert await p.compare_and_swap(key, "b", "c") is False
        assert await p.get(key) == "a"
        assert await p.compare_and_swap(key, "a", "c") is True
        assert await p.get(key) == "c"

    async def test_swap_of_a_missing_key_with_a_value_fails(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique()
        assert await p.compare_and_swap(key, "", "x") is False
        assert await p.exists(key) is False

    async def test_delete_only_on_a_match(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        await p.set(key, "a")
        assert await p.compare_and_delete(key, "b") is False
        assert await p.get(key) == "a"
        assert await p.compare_and_delete(key, "a") is True
        assert await p.exists(key) is False
        assert await p.compare_and_delete(key, "a") is False

    async def test_concurrent_increments_are_exact(self, provider_factory: ProviderFactory) -> None:
        p, key = await provider_factory(), unique()
        await p.set(key, "0")

        async def increment() -> None:
            for _ in range(500):
                current = await p.get(key)
                await asyncio.sleep(0)
                if await p.compare_and_swap(key, current, str(int(current or "0") + 1)):
                    return
            raise AssertionError("compare_and_swap never succeeded")

        await asyncio.gather(*(increment() for _ in range(20)))
        assert await p.get(key) == "20"

    async def test_exactly_one_concurrent_creator_wins(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, key = await provider_factory(), unique()
        wins = await asyncio.gather(*(p.compare_and_swap(key, None, f"w{i}") for i in range(10)))
        assert sum(wins) == 1
        assert await p.get(key) == f"w{wins.index(True)}"
