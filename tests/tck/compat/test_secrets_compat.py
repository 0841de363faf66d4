"""Secrets: an upstream-style test class (spec 1.9) and our reference provider."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from omnicloud.providers.memory.secrets import InMemorySecrets as MemorySecrets
from tck_py.primitives.secrets import BaseTestSecretsContract
from tck_py.shared.exceptions import SecretNotFoundError


class UpstreamReferenceSecrets:
    """Shaped like upstream's reference: a dict given at construction."""

    def __init__(self, secrets: dict[str, str] | None = None) -> None:
        self._secrets = secrets or {}

    async def get(self, secret_name: str) -> str:
        await asyncio.sleep(0)
        if secret_name not in self._secrets:
            raise SecretNotFoundError(f"Secret '{secret_name}' not found.")
        return self._secrets[secret_name]


class TestUpstreamReferenceSecretsCompliance(BaseTestSecretsContract):
    @pytest.fixture
    def pre_configured_secret_name(self) -> str:
        return "tck/secrets/my-secret"

    @pytest.fixture
    def pre_configured_secret_value(self) -> str:
        return "super-secret-tck-value"

    @pytest.fixture
    def provider_factory(
        self, pre_configured_secret_name: str, pre_configured_secret_value: str
    ) -> Any:
        async def _factory(**config: Any) -> UpstreamReferenceSecrets:
            return UpstreamReferenceSecrets(
                {pre_configured_secret_name: pre_configured_secret_value}
            )

        return _factory


class TestMemorySecretsCompliance(BaseTestSecretsContract):
    @pytest.fixture
    def provider_factory(
        self, pre_configured_secret_name: str, pre_configured_secret_value: str
    ) -> Any:
        async def _factory(**config: Any) -> MemorySecrets:
            return MemorySecrets({pre_configured_secret_name: pre_configured_secret_value})

        return _factory


class TestMemorySecretsWithOwnSecretCompliance(TestMemorySecretsCompliance):
    """Overriding the two value fixtures is how users certify with their own secret."""

    @pytest.fixture
    def pre_configured_secret_name(self) -> str:
        return "Prod/Database/Password"

    @pytest.fixture
    def pre_configured_secret_value(self) -> str:
        return " p@ss wörd "


def test_memory_secrets_reject_non_str_values() -> None:
    with pytest.raises(TypeError, match="must be str"):
        MemorySecrets({"name": 1})  # type: ignore[dict-item]


class TestMemorySecretsWithFlatNameCompliance(TestMemorySecretsCompliance):
    """A name without path segments: only non-empty probe names are used."""

    @pytest.fixture
    def pre_configured_secret_name(self) -> str:
        return "K"

    @pytest.fixture
    def pre_configured_secret_value(self) -> str:
        return ""
