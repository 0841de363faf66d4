"""The pytest plugin: contract test classes generated from omnicloud.toml, no test file."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

GOOD_KV = """
_tenants: dict = {}

class GoodKV:
    def __init__(self, tenant_id=None, **options):
        self.options = options
        self._data = _tenants.setdefault(tenant_id, {}) if tenant_id else {}

    async def get(self, key):
        return self._data.get(key)

    async def set(self, key, value):
        self._data[key] = value

    async def delete(self, key):
        self._data.pop(key, None)


class RaisingDeleteKV(GoodKV):
    async def delete(self, key):
        del self._data[key]


class NotAsyncKV:
    def get(self, key): ...
    async def set(self, key, value): ...
"""

CONFIG = """
[project]
name = "scratch"

[providers.good-kv]
contract = "kv"
factory = "kvprov:GoodKV"
policies = ["multi_tenancy"]

[providers.buggy-kv]
contract = "kv_store"
factory = "kvprov:RaisingDeleteKV"
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(kvprov=GOOD_KV)
    pytester.makefile(".toml", omnicloud=CONFIG)
    return pytester


def test_bare_pytest_collects_the_config_with_readable_node_ids(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--collect-only", "-q", "-p", "no:cacheprovider")
    ids = [line for line in result.outlines if "::" in line]
    assert "omnicloud.toml::good-kv:kv_store::test_set_and_get_value" in ids
    assert "omnicloud.toml::good-kv:kv_store::test_data_is_isolated_between_tenants" in ids
    assert "omnicloud.toml::buggy-kv:kv_store::test_delete_is_idempotent" in ids
    assert not any("buggy-kv" in i and "tenant" in i for i in ids)


def test_correct_provider_passes_and_buggy_one_names_the_violated_test(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "-rf")
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] >= 1
    result.stdout.fnmatch_lines(
        ["FAILED omnicloud.toml::buggy-kv:kv_store::test_delete_is_idempotent*"]
    )
    assert "FAILED omnicloud.toml::good-kv" not in result.stdout.str()


def test_selection_by_provider_and_by_contract_alias(project: pytest.Pytester) -> None:
    only = project.runpytest_subprocess(
        "--co", "-q", "--omnicloud-provider", "good-kv", "-p", "no:cacheprovider"
    )
    assert "buggy-kv" not in only.stdout.str()
    assert "good-kv:kv_store" in only.stdout.str()
    by_alias = project.runpytest_subprocess(
        "--co", "-q", "--omnicloud-contract", "kv", "-p", "no:cacheprovider"
    )
    assert "buggy-kv:kv_store" in by_alias.stdout.str()


def test_unknown_provider_selection_is_a_clear_collection_error(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(
        "--omnicloud-provider", "god-kv", "-p", "no:cacheprovider"
    )
    result.stdout.fnmatch_lines(["*error: unknown provider 'god-kv'; did you mean 'good-kv'?*"])
    assert result.ret != 0


def test_runs_under_xdist(project: pytest.Pytester) -> None:
    collected = project.runpytest_subprocess(
        "--co", "-q", "--omnicloud-provider", "good-kv", "-p", "no:cacheprovider"
    )
    count = len([line for line in collected.outlines if "::" in line])
    result = project.runpytest_subprocess(
        "-n", "2", "--omnicloud-provider", "good-kv", "-p", "no:cacheprovider"
    )
    assert count >= 8
    result.assert_outcomes(passed=count)


def test_factory_that_cannot_be_imported_names_the_provider(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".toml", omnicloud='[providers.x]\ncontract = "kv"\nfactory = "nowhere.kv:KV"\n'
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(
        [
            "*error: providers.x.factory: cannot import module 'nowhere.kv' of 'nowhere.kv:KV':"
            " No module named 'nowhere'*"
        ]
    )


def test_provider_without_the_contract_shape_is_reported_before_tests(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(kvprov=GOOD_KV)
    pytester.makefile(
        ".toml", omnicloud='[providers.x]\ncontract = "kv"\nfactory = "kvprov:NotAsyncKV"\n'
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(
        [
            "*providers.x.factory: 'kvprov:NotAsyncKV' does not have the shape of contract"
            " 'kv_store': 'get' is not an async method; missing method 'delete'*"
        ]
    )


def test_explicit_collect_mode_needs_the_file_named(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nomnicloud_collect = explicit\n")
    bare = project.runpytest_subprocess("--co", "-q", "-p", "no:cacheprovider")
    assert "good-kv" not in bare.stdout.str()
    named = project.runpytest_subprocess("omnicloud.toml", "--co", "-q", "-p", "no:cacheprovider")
    assert "good-kv:kv_store" in named.stdout.str()


SEED_PLAIN = '''
import pytest
from tck_py.primitives.kv_store import BaseTestKVStoreContract


class InMemoryKVStore:
    """A simple in-memory implementation of the KVStoreProtocol."""
    def __init__(self):
        self._data = {}

    async def get(self, key: str) -> str | None:
        return self._data.get(key)

    async def set(self, key: str, value: str):
        self._data[key] = value

    async def delete(self, key: str):
        self._data.pop(key, None)


class TestInMemoryKVStoreCompliance(BaseTestKVStoreContract):
    @pytest.fixture
    def provider_factory(self):
        async def _factory(**config):
            return InMemoryKVStore()

        return _factory
'''

SEED_MIXIN = """
import pytest
from tck_py.primitives.kv_store import BaseTestKVStoreContract
from tck_py.policies.multi_tenancy import TestMultiTenancyContractMixin

_STORES = {}


class MyTenantAwareKVStore:
    def __init__(self, tenant_id: str | None = None):
        self._tenant_id = tenant_id
        self._data = _STORES.setdefault(tenant_id, {}) if tenant_id else {}

    async def get(self, key):
        return self._data.get(key)

    async def set(self, key, value):
        self._data[key] = value

    async def delete(self, key):
        self._data.pop(key, None)


class TestMyTenantAwareProviderCompliance(BaseTestKVStoreContract, TestMultiTenancyContractMixin):
    @pytest.fixture
    def provider_factory(self):
        async def _factory(tenant_id: str | None = None, **config):
            return MyTenantAwareKVStore(tenant_id=tenant_id, **config)

        return _factory
"""


def test_seed_readme_examples_run_unchanged(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain=SEED_PLAIN, test_mixin=SEED_MIXIN)
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0
    assert outcomes.get("errors", 0) == 0
    kv_tests = len(
        [
            m
            for m in dir(
                __import__("tck_py.primitives.kv_store", fromlist=["x"]).BaseTestKVStoreContract
            )
            if m.startswith("test_")
        ]
    )
    assert outcomes["passed"] >= 2 * kv_tests + 2
    assert "TestMultiTenancyContractMixin::" not in result.stdout.str()


def test_config_error_surfaces_through_pytest(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".toml",
        omnicloud=textwrap.dedent("""
        [providers.x]
        contract = "kv_stor"
        factory = "a:B"
        """),
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*providers.x.contract: unknown contract 'kv_stor'*"])
