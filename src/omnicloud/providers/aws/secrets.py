"""AWS Secrets Manager as the ``secrets`` contract (read path).

```toml
[providers.aws-secrets]
contract = "secrets"
factory = "omnicloud.providers.aws:create_secrets"
options = { endpoint_url = "{services.moto.url}", region = "{services.moto.region}",
            access_key_id = { secret = "AWS_ACCESS_KEY_ID" },
            secret_access_key = { secret = "AWS_SECRET_ACCESS_KEY" },
            prefix = "{services.moto.prefix}" }
services = ["moto"]
```

``get(name)`` reads the secret ``<prefix><namespace>/<name>``; ``namespace`` is random per
provider instance unless given, so providers never see each other's secrets. Secrets given as
``secrets={name: value}`` (the certification seeds one) are written at creation. A name Secrets
Manager cannot hold (spaces, for one) is simply not found: ``SecretNotFoundError``, like any
other miss.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from omnicloud.providers.aws._client import AwsClient, AwsOptions, error_code
from tck_py.shared.exceptions import SecretNotFoundError

# A name that cannot exist (ValidationException, InvalidParameterException) is not found either.
_MISSING = {"ResourceNotFoundException", "ValidationException", "InvalidParameterException"}


class SecretsManagerSecrets:
    """Reads string secrets from Secrets Manager under a name prefix."""

    def __init__(self, client: AwsClient, name_prefix: str) -> None:
        self._client = client
        self.name_prefix = name_prefix

    async def put(self, secret_name: str, value: str) -> None:
        """Create or replace a secret (used to seed; not part of the contract)."""
        name = self.name_prefix + secret_name
        try:
            await self._client.client.create_secret(Name=name, SecretString=value)
        except Exception as exc:
            if error_code(exc) != "ResourceExistsException":
                raise
            await self._client.client.put_secret_value(SecretId=name, SecretString=value)

    async def get(self, secret_name: str) -> str:
        try:
            response = await self._client.client.get_secret_value(
                SecretId=self.name_prefix + secret_name
            )
        except Exception as exc:
            if error_code(exc) in _MISSING:
                raise SecretNotFoundError(f"no secret {secret_name!r}") from None
            raise
        return str(response["SecretString"])

    async def aclose(self) -> None:
        await self._client.aclose()


async def create_secrets(
    secrets: Mapping[str, str] | None = None, namespace: str | None = None, **options: Any
) -> SecretsManagerSecrets:
    """Factory for ``factory = "omnicloud.providers.aws:create_secrets"``."""
    settings = AwsOptions(**options)
    client = await AwsClient.open("secretsmanager", settings)
    provider = SecretsManagerSecrets(client, f"{settings.prefix}{namespace or uuid.uuid4().hex}/")
    try:
        for name, value in (secrets or {}).items():
            await provider.put(name, value)
    except BaseException:
        await provider.aclose()
        raise
    return provider
