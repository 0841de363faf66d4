# ruff: noqa
# fmt: off
# The seed README's second example (KV + multi-tenancy mixin), with the test class unchanged.
# The README leaves the provider's body as "# ..."; it is filled in here with the smallest
# tenant-aware store: entries keyed by (tenant, key) in one store shared by every instance, as a
# real backend's data is shared by every client that connects to it.
import pytest
from tck_py.primitives.kv_store import BaseTestKVStoreContract
from tck_py.policies.multi_tenancy import TestMultiTenancyContractMixin

# A placeholder for your provider that is tenant-aware
class MyTenantAwareKVStore:
    _shared: dict = {}

    def __init__(self, tenant_id: str | None = None):
        # A real implementation would use the tenant_id to scope data
        self._tenant_id = tenant_id
        # ...

    async def get(self, key):
        return self._shared.get((self._tenant_id, key))

    async def set(self, key, value):
        self._shared[(self._tenant_id, key)] = value

    async def delete(self, key):
        self._shared.pop((self._tenant_id, key), None)

# Inherit from BOTH the primitive contract and the policy mixin
class TestMyTenantAwareProviderCompliance(BaseTestKVStoreContract, TestMultiTenancyContractMixin):
    """
    This class will automatically run all tests from the KVStore contract AND
    all data isolation tests from the multi-tenancy mixin.
    """

    @pytest.fixture
    def provider_factory(self):
        """
        This factory now implements the combined requirements, including the
        `tenant_id` parameter needed by the TestMultiTenancyContractMixin.
        """
        async def _factory(tenant_id: str | None = None, **config):
            # Logic to instantiate the provider, passing the tenant_id to it
            return MyTenantAwareKVStore(tenant_id=tenant_id, **config)

        return _factory
