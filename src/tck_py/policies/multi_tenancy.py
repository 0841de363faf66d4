"""Multi-tenancy policy mixin for KV-shaped providers.

Combine with a persistence contract: ``class TestX(BaseTestKVStoreContract,
TestMultiTenancyContractMixin)``. ``await provider_factory(tenant_id="...")`` must return a
provider scoped to that tenant.

The upstream name starts with ``Test``; ``__test__ = False`` keeps pytest from collecting the
mixin on its own when it is imported by name into a test module, while subclasses (which set
nothing) are collected as usual.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

ProviderFactory = Callable[..., Awaitable[Any]]


class _NotCollectedOnItsOwn:
    """Makes ``__test__`` False on the mixin itself and True again on subclasses."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__test__ = cls.__name__ != "TestMultiTenancyContractMixin"


@pytest.mark.asyncio
class TestMultiTenancyContractMixin(_NotCollectedOnItsOwn):
    """Tenant isolation tests; the provider factory must accept ``tenant_id=``."""

    async def test_data_is_isolated_between_tenants(
        self, provider_factory: ProviderFactory
    ) -> None:
        tenant_a = await provider_factory(tenant_id=f"tenant-a-{uuid.uuid4()}")
        tenant_b = await provider_factory(tenant_id=f"tenant-b-{uuid.uuid4()}")
        await tenant_a.set("shared-key", "value-a")
        await tenant_b.set("shared-key", "value-b")
        assert await tenant_a.get("shared-key") == "value-a"
        assert await tenant_b.get("shared-key") == "value-b"

    async def test_delete_is_isolated_to_tenant(self, provider_factory: ProviderFactory) -> None:
        tenant_a = await provider_factory(tenant_id=f"tenant-a-{uuid.uuid4()}")
        tenant_b = await provider_factory(tenant_id=f"tenant-b-{uuid.uuid4()}")
        await tenant_a.set("shared-key-to-delete", "value-a")
        await tenant_b.set("shared-key-to-delete", "value-b")
        await tenant_a.delete("shared-key-to-delete")
        assert await tenant_a.get("shared-key-to-delete") is None
        assert await tenant_b.get("shared-key-to-delete") == "value-b"
