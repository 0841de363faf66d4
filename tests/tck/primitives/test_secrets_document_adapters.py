"""The secrets and document-database adapters, alone and through the omnicloud plugin."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from omnicloud.adapters.document import empty_collection
from omnicloud.adapters.runtime import ProviderRuntime
from omnicloud.adapters.secrets import check_accepts_secrets, seeded_secrets
from omnicloud.contracts import CONTRACTS
from omnicloud.errors import ProviderError
from omnicloud.providers.memory.document import InMemoryDocumentDatabase
from omnicloud.providers.memory.secrets import InMemorySecrets
from tck_py.primitives.document_database import BaseTestDocumentDatabaseContract
from tck_py.primitives.secrets import BaseTestSecretsContract


def _runtime(options: dict[str, Any]) -> ProviderRuntime:
    return ProviderRuntime("vault", CONTRACTS["secrets"], InMemorySecrets, options)


def test_seeded_secrets_add_the_suite_secret_to_the_configured_ones() -> None:
    runtime = _runtime({"secrets": {"db/password": "x", "tck/secrets/my-secret": "old"}})
    assert seeded_secrets(runtime, "tck/secrets/my-secret", "new") == {
        "db/password": "x",
        "tck/secrets/my-secret": "new",
    }


def test_seeded_secrets_refuse_a_secrets_option_that_is_not_a_table() -> None:
    with pytest.raises(ProviderError, match=r"providers\.vault\.options\.secrets must be a table"):
        seeded_secrets(_runtime({"secrets": "db/password"}), "name", "value")


def test_a_factory_that_cannot_take_secrets_is_named() -> None:
    def no_secrets(url: str = "") -> object:
        return object()

    runtime = ProviderRuntime("vault", CONTRACTS["secrets"], no_secrets, {})
    with pytest.raises(
        ProviderError,
        match=r"providers\.vault: the secrets contract calls the"
        r" factory with secrets=\{name: value\}.*no_secrets takes no 'secrets'",
    ):
        check_accepts_secrets(runtime)


def test_factories_taking_secrets_or_keywords_are_accepted() -> None:
    for factory in (InMemorySecrets, lambda **options: options):
        check_accepts_secrets(ProviderRuntime("vault", CONTRACTS["secrets"], factory, {}))


class _NoDropDocuments(InMemoryDocumentDatabase):
    """A provider without ``drop_collection``: cleanup falls back to find_many + delete_one."""

    drop_collection = None  # type: ignore[assignment]


async def test_cleanup_without_drop_collection_deletes_every_document() -> None:
    db = _NoDropDocuments()
    for i in range(3):
        await db.insert_one("c", {"_id": f"d{i}"})
    await db.insert_one("other", {"_id": "kept"})
    await empty_collection(db, "c")
    assert await db.find_many("c", {}) == []
    assert await db.find_many("other", {}) == [{"_id": "kept"}]


async def test_cleanup_prefers_drop_collection() -> None:
    db = InMemoryDocumentDatabase()
    await db.insert_one("c", {"_id": "d"})
    await empty_collection(db, "c")
    assert await db.find_many("c", {}) == []


CONFIG = """
[project]
name = "adapters"

[providers.vault]
contract = "secrets"
factory = "local_providers:SeedOnlySecrets"
options = { secrets = { "db/password" = "hunter2" } }

[providers.docs]
contract = "document_database"
factory = "local_providers:NoDropDocuments"
"""

LOCAL_PROVIDERS = """
from omnicloud.providers.memory.document import InMemoryDocumentDatabase
from omnicloud.providers.memory.secrets import InMemorySecrets
from tck_py.primitives.document_database import BaseTestDocumentDatabaseContract
from tck_py.primitives.secrets import BaseTestSecretsContract


class SeedOnlySecrets(InMemorySecrets):
    def __init__(self, *, secrets):
        assert secrets["db/password"] == "hunter2"  # the configured secrets are kept
        super().__init__(secrets)


class NoDropDocuments(InMemoryDocumentDatabase):
    drop_collection = None
"""


def test_adapters_certify_providers_through_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", omnicloud=textwrap.dedent(CONFIG))
    pytester.makepyfile(local_providers=textwrap.dedent(LOCAL_PROVIDERS))
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest_subprocess("omnicloud.toml", "-p", "no:cacheprovider", "-q")
    result.assert_outcomes(
        passed=_count_tests(BaseTestSecretsContract)
        + _count_tests(BaseTestDocumentDatabaseContract)
    )


def _count_tests(suite: type) -> int:
    return sum(name.startswith("test_") for name in dir(suite))
