# ruff: noqa
# fmt: off
# The seed README's first example, unchanged: a plain KV class certified by inheritance.
import pytest
from tck_py.primitives.kv_store import BaseTestKVStoreContract
from your_project.providers.in_memory_kv import InMemoryKVStore

# Inherit from the TCK contract class
class TestInMemoryKVStoreCompliance(BaseTestKVStoreContract):
    """
    This class runs the full TCK compliance suite against our InMemoryKVStore.
    """

    # The only thing we need to do is implement the required fixture.
    @pytest.fixture
    def provider_factory(self):
        """
        This fixture tells the TCK how to get an instance of the
        provider we want to test.
        """
        async def _factory(**config):
            # Logic to instantiate and return our provider
            return InMemoryKVStore()

        return _factory
