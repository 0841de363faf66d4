"""Importing the multi-tenancy mixin by name never makes pytest collect it (upstream did)."""

from __future__ import annotations

import textwrap

import pytest

MODULE = """
import pytest
from tck_py.policies.multi_tenancy import TestMultiTenancyContractMixin
from tck_py.primitives.kv_store import BaseTestKVStoreContract


class BaseTestTenantKV(BaseTestKVStoreContract, TestMultiTenancyContractMixin):
    '''A user's intermediate class: not collected, like any non-Test class.'''


class Store:
    shared = {}

    def __init__(self, tenant_id=None):
        self.tenant = tenant_id

    async def get(self, key):
        return self.shared.get((self.tenant, key))

    async def set(self, key, value):
        self.shared[(self.tenant, key)] = value

    async def delete(self, key):
        self.shared.pop((self.tenant, key), None)


class TestTenantKV(BaseTestTenantKV):
    @pytest.fixture
    def provider_factory(self):
        async def _factory(tenant_id=None, **config):
            return Store(tenant_id)
        return _factory


class TestOptedOut(BaseTestTenantKV):
    __test__ = False
"""


def test_only_the_concrete_class_is_collected(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_tenant=textwrap.dedent(MODULE))
    result = pytester.runpytest_subprocess(
        "-p", "no:omnicloud", "-p", "no:benchmark", "-p", "no:cacheprovider", "--co", "-q"
    )
    classes = {line.split("::")[1] for line in result.outlines if "::" in line}
    assert classes == {"TestTenantKV"}
