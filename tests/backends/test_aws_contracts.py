"""The AWS providers (S3, Secrets Manager) certified by their contract suites on moto_server.

One ``moto_server`` per test session (fixture ``moto_url`` in conftest.py), started by the
process provisioner (kind ``moto``); every provider talks to it over the real AWS wire protocol
(aiobotocore), exactly as it would to AWS (SQS: test_aws_sqs.py). Each provider instance writes
under its own random key prefix or secret namespace. Broken variants of the same providers show
the suites catch what a real S3 or Secrets Manager wrapper gets wrong.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from omnicloud.providers.aws import (
    AwsOptions,
    S3ObjectStorage,
    SecretsManagerSecrets,
    create_object_storage,
    create_secrets,
)
from suite_marks import marked
from tck_py.primitives.object_storage import BaseTestObjectStorageContract
from tck_py.primitives.secrets import BaseTestSecretsContract
from tck_py.shared.exceptions import ObjectNotFoundError, SecretNotFoundError

# One worker runs every AWS test: one moto_server (about 4 s of CPU to start) instead of one
# per worker.
pytestmark = [pytest.mark.services("moto"), pytest.mark.xdist_group("aws")]

Factory = Callable[..., Awaitable[Any]]
CREDENTIALS = {"region": "us-east-1", "access_key_id": "testing", "secret_access_key": "testing"}


def _options(url: str) -> dict[str, Any]:
    return {"endpoint_url": url, "prefix": "tck-", **CREDENTIALS}


async def _closing(made: list[Any]) -> None:
    for provider in reversed(made):
        await provider.aclose()


class TestS3ObjectStorage(BaseTestObjectStorageContract):
    """S3 (moto) passes the object_storage contract."""

    factory: Any = staticmethod(create_object_storage)

    # About 10-20 s over HTTP (a few hundred S3 calls): slow, still run in CI.
    test_behaves_like_a_dict_under_random_operations = marked(
        BaseTestObjectStorageContract.test_behaves_like_a_dict_under_random_operations,
        pytest.mark.slow,
    )

    @pytest.fixture
    async def provider_factory(self, moto_url: str) -> AsyncIterator[Factory]:
        made: list[Any] = []

        async def make(**overrides: Any) -> Any:
            made.append(await type(self).factory(**{**_options(moto_url), **overrides}))
            return made[-1]

        yield make
        await _closing(made)


class TestSecretsManager(BaseTestSecretsContract):
    """Secrets Manager (moto) passes the secrets contract."""

    factory: Any = staticmethod(create_secrets)

    @pytest.fixture
    async def provider_factory(
        self, moto_url: str, pre_configured_secret_name: str, pre_configured_secret_value: str
    ) -> AsyncIterator[Factory]:
        made: list[Any] = []
        seeded = {pre_configured_secret_name: pre_configured_secret_value}

        async def make(**overrides: Any) -> Any:
            options = {**_options(moto_url), "secrets": seeded, **overrides}
            made.append(await type(self).factory(**options))
            return made[-1]

        yield make
        await _closing(made)


def test_credentials_never_appear_in_the_options_repr() -> None:
    shown = repr(AwsOptions(access_key_id="AKIAEXAMPLE", secret_access_key="s3cr3t-value"))
    assert "s3cr3t-value" not in shown
    assert "AKIAEXAMPLE" not in shown


# -- broken wrappers: what a naive S3 or Secrets Manager wrapper gets wrong ---------------------


class EmptyForMissingObject(S3ObjectStorage):
    """Returns an empty payload for a missing key instead of raising ObjectNotFoundError."""

    async def download(self, object_key: str) -> bytes:
        try:
            return await super().download(object_key)
        except ObjectNotFoundError:
            return b""


class SecretsByNamePrefix(SecretsManagerSecrets):
    """Looks secrets up with ListSecrets' name filter, which matches by prefix."""

    async def get(self, secret_name: str) -> str:
        listed = await self._client.client.list_secrets(
            Filters=[{"Key": "name", "Values": [self.name_prefix + secret_name]}]
        )
        if not listed["SecretList"]:
            raise SecretNotFoundError(secret_name)
        return await super().get(listed["SecretList"][0]["Name"][len(self.name_prefix) :])


async def _broken(cls: type, factory: Any, **options: Any) -> Any:
    provider = await factory(**options)
    provider.__class__ = cls  # the real provider, with one method replaced by the broken one
    return provider


async def test_the_suite_catches_an_s3_wrapper_that_hides_missing_keys(moto_url: str) -> None:
    made: list[Any] = []

    async def factory(**overrides: Any) -> Any:
        made.append(
            await _broken(EmptyForMissingObject, create_object_storage, **_options(moto_url))
        )
        return made[-1]

    try:
        with pytest.raises(pytest.fail.Exception, match="ObjectNotFoundError"):
            await (
                BaseTestObjectStorageContract().test_download_non_existent_object_raises_exception(
                    factory
                )
            )
    finally:
        await _closing(made)


async def test_the_suite_catches_secrets_matched_by_name_prefix(moto_url: str) -> None:
    made: list[Any] = []

    async def factory(**overrides: Any) -> Any:
        options = {**_options(moto_url), "secrets": {"db-password": "s3cr3t"}, **overrides}
        made.append(await _broken(SecretsByNamePrefix, create_secrets, **options))
        return made[-1]

    try:
        with pytest.raises((AssertionError, pytest.fail.Exception)):
            await BaseTestSecretsContract().test_name_that_is_part_of_a_secret_name_does_not_match(
                factory, "db-password"
            )
    finally:
        await _closing(made)
