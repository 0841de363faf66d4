"""Multi-tenancy policy mixin for KV-shaped providers (``set(key, value)``, ``get``, ``delete``).

Combine with a persistence contract: ``class TestX(BaseTestKVStoreContract,
TestMultiTenancyContractMixin)``. ``await provider_factory(tenant_id="...")`` must return a
provider scoped to that tenant.

What it guarantees, beyond upstream's two tests:

* two providers created for the *same* tenant see the same data (a provider that keeps a private
  dict per instance is not tenant-aware, it is merely unshared, and fails here);
* tenant scoping cannot collide: tenant ``"a"`` with key ``"bc"`` is not tenant ``"ab"`` with key
  ``"c"``, whatever separator an implementation puts between tenant and key;
* tenant ids are exact: case-sensitive and never matched by prefix;
* concurrent writes by many tenants stay isolated.

The upstream name starts with ``Test``; ``__test__`` is False on the mixin itself, so importing
it by name into a test module does not make pytest collect it, while subclasses (which set
nothing) are collected as usual.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tck_py.primitives._support import unique

ProviderFactory = Callable[..., Awaitable[Any]]

#: Separators an implementation might put between tenant id and key (``f"{t}{sep}{key}"``).
SEPARATORS = ("", ":", "::", "/", "|", ".", "-", "_", "#", " ")
#: Number of tenants writing at once in the concurrency test.
CONCURRENT_TENANTS = 20


class _CollectedByName:
    """The ``__test__`` of subclasses: truthy, so a subclass whose name matches pytest's
    ``python_classes`` is collected, but not ``True``, so (exactly as for a class without
    ``__test__``) a subclass whose name does not match, such as a user's ``BaseTest...``
    intermediate class, is not."""

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "<collected by name>"


class _NotCollectedOnItsOwn:
    """Makes ``__test__`` False on the mixin itself and name-based again on subclasses."""

    __test__: object = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__name__ == "TestMultiTenancyContractMixin":
            cls.__test__ = False
        elif "__test__" not in cls.__dict__:
            cls.__test__ = _CollectedByName()


@pytest.mark.asyncio
class TestMultiTenancyContractMixin(_NotCollectedOnItsOwn):
    """Tenant isolation tests; the provider factory must accept ``tenant_id=``."""

    @pytest.fixture
    def provider_factory(self) -> ProviderFactory:
        raise NotImplementedError(
            "override the 'provider_factory' fixture in your test class: it must return an async"
            " callable that accepts no arguments and tenant_id=... and creates a provider scoped"
            " to that tenant (providers of one tenant must share data)"
        )

    # -- upstream tests ---------------------------------------------------------------------

    async def test_data_is_isolated_between_tenants(
        self, provider_factory: ProviderFactory
    ) -> None:
        tenant_a = await provider_factory(tenant_id=unique("tenant-a"))
        tenant_b = await provider_factory(tenant_id=unique("tenant-b"))
        await tenant_a.set("shared-key", "value-a")
        await tenant_b.set("shared-key", "value-b")
        assert await tenant_a.get("shared-key") == "value-a"
        assert await tenant_b.get("shared-key") == "value-b"

    async def test_delete_is_isolated_to_tenant(self, provider_factory: ProviderFactory) -> None:
        tenant_a = await provider_factory(tenant_id=unique("tenant-a"))
        tenant_b = await provider_factory(tenant_id=unique("tenant-b"))
        await tenant_a.set("shared-key-to-delete", "value-a")
        await tenant_b.set("shared-key-to-delete", "value-b")
        await tenant_a.delete("shared-key-to-delete")
        assert await tenant_a.get("shared-key-to-delete") is None
        assert await tenant_b.get("shared-key-to-delete") == "value-b"

    # -- same tenant, several instances -----------------------------------------------------

    async def test_instances_of_the_same_tenant_share_data(
        self, provider_factory: ProviderFactory
    ) -> None:
        tenant = unique("tenant")
        writer = await provider_factory(tenant_id=tenant)
        reader = await provider_factory(tenant_id=tenant)
        await writer.set("key", "written-by-first-instance")
        assert await reader.get("key") == "written-by-first-instance"

    async def test_delete_is_seen_by_other_instances_of_the_same_tenant(
        self, provider_factory: ProviderFactory
    ) -> None:
        tenant = unique("tenant")
        first = await provider_factory(tenant_id=tenant)
        second = await provider_factory(tenant_id=tenant)
        await first.set("key", "value")
        await second.delete("key")
        assert await first.get("key") is None

    # -- no leaks between tenants -----------------------------------------------------------

    async def test_key_written_by_one_tenant_is_missing_for_another(
        self, provider_factory: ProviderFactory
    ) -> None:
        tenant_a = await provider_factory(tenant_id=unique("tenant-a"))
        tenant_b = await provider_factory(tenant_id=unique("tenant-b"))
        await tenant_a.set("only-in-a", "value-a")
        assert await tenant_b.get("only-in-a") is None

    async def test_the_untenanted_scope_is_not_a_tenant(
        self, provider_factory: ProviderFactory
    ) -> None:
        key = unique("key")
        untenanted = await provider_factory()
        lookalikes = [await provider_factory(tenant_id=t) for t in ("None", "null", "default")]
        await untenanted.set(key, "untenanted")
        assert [await t.get(key) for t in lookalikes] == [None] * len(lookalikes)

    async def test_tenant_ids_are_case_sensitive(self, provider_factory: ProviderFactory) -> None:
        base = unique("tenant")
        lower = await provider_factory(tenant_id=base + "-acme")
        upper = await provider_factory(tenant_id=base + "-ACME")
        await lower.set("key", "lower")
        assert await upper.get("key") is None

    async def test_tenant_id_that_extends_another_does_not_share_its_data(
        self, provider_factory: ProviderFactory
    ) -> None:
        base = unique("tenant")
        short = await provider_factory(tenant_id=base)
        extended = [await provider_factory(tenant_id=base + s) for s in ("1", "/sub", ":x")]
        await short.set("key", "short-tenant")
        assert [await t.get("key") for t in extended] == [None] * len(extended)

    async def test_tenant_id_that_is_a_prefix_of_another_does_not_see_its_data(
        self, provider_factory: ProviderFactory
    ) -> None:
        base = unique("tenant")
        short = await provider_factory(tenant_id=base)
        extended = await provider_factory(tenant_id=base + "-extended")
        await extended.set("key", "extended-tenant")
        assert await short.get("key") is None

    async def test_tenant_and_key_concatenation_cannot_collide(
        self, provider_factory: ProviderFactory
    ) -> None:
        base = unique("tenant")
        tenant_a = await provider_factory(tenant_id=base + "a")
        tenant_ab = await provider_factory(tenant_id=base + "ab")
        await tenant_a.set("bc", "tenant-a-key-bc")
        assert await tenant_ab.get("c") is None

    async def test_tenant_and_key_joined_by_any_separator_cannot_collide(
        self, provider_factory: ProviderFactory
    ) -> None:
        for sep in SEPARATORS:
            base = unique("tenant")
            outer = await provider_factory(tenant_id=base)
            inner = await provider_factory(tenant_id=f"{base}{sep}x")
            await outer.set(f"x{sep}y", "outer-tenant")
            assert await inner.get("y") is None, f"separator {sep!r}"

    async def test_delete_in_one_tenant_keeps_the_same_key_of_a_prefix_tenant(
        self, provider_factory: ProviderFactory
    ) -> None:
        base = unique("tenant")
        short = await provider_factory(tenant_id=base)
        longer = await provider_factory(tenant_id=base + "-2")
        await short.set("key", "short")
        await longer.set("key", "longer")
        await longer.delete("key")
        assert await short.get("key") == "short"

    async def test_concurrent_writes_of_many_tenants_stay_isolated(
        self, provider_factory: ProviderFactory
    ) -> None:
        base = unique("tenant")
        tenants = [
            await provider_factory(tenant_id=f"{base}-{i}") for i in range(CONCURRENT_TENANTS)
        ]
        await asyncio.gather(*(t.set("same-key", f"value-{i}") for i, t in enumerate(tenants)))
        values = await asyncio.gather(*(t.get("same-key") for t in tenants))
        assert values == [f"value-{i}" for i in range(CONCURRENT_TENANTS)]
