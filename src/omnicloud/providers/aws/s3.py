"""Amazon S3 (or any S3-compatible store) as the ``object_storage`` contract.

```toml
[providers.aws-s3]
contract = "object_storage"
factory = "omnicloud.providers.aws:create_object_storage"
options = { endpoint_url = "{services.moto.url}", region = "{services.moto.region}",
            access_key_id = { secret = "AWS_ACCESS_KEY_ID" },
            secret_access_key = { secret = "AWS_SECRET_ACCESS_KEY" },
            prefix = "{services.moto.prefix}" }
services = ["moto"]
```

Objects live in one bucket (``bucket``, default ``<prefix>omnicloud``, created when missing);
each provider instance writes under its own random key prefix (``key_prefix`` to choose one), so
providers never see each other's objects. ``download`` of a missing key raises
``ObjectNotFoundError``; ``delete`` of a missing key is not an error (S3's own semantics).
"""

from __future__ import annotations

import uuid
from typing import Any

from omnicloud.providers.aws._client import AwsClient, AwsOptions, error_code
from tck_py.shared.exceptions import ObjectNotFoundError

_MISSING = {"NoSuchKey", "404", "NotFound"}
_BUCKET_EXISTS = {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}


class S3ObjectStorage:
    """``upload``/``download``/``delete`` of whole objects in one bucket, under a key prefix."""

    def __init__(self, client: AwsClient, bucket: str, key_prefix: str) -> None:
        self._client = client
        self.bucket = bucket
        self.key_prefix = key_prefix

    def _key(self, object_key: str) -> str:
        return f"{self.key_prefix}{object_key}"

    async def upload(self, object_key: str, data: bytes | bytearray | memoryview) -> None:
        await self._client.client.put_object(
            Bucket=self.bucket, Key=self._key(object_key), Body=bytes(data)
        )

    async def download(self, object_key: str) -> bytes:
        try:
            response = await self._client.client.get_object(
                Bucket=self.bucket, Key=self._key(object_key)
            )
        except Exception as exc:
            if error_code(exc) in _MISSING:
                raise ObjectNotFoundError(f"no object {object_key!r}") from None
            raise
        async with response["Body"] as body:
            return bytes(await body.read())

    async def delete(self, object_key: str) -> None:
        await self._client.client.delete_object(Bucket=self.bucket, Key=self._key(object_key))

    async def aclose(self) -> None:
        await self._client.aclose()


async def ensure_bucket(client: Any, bucket: str, region: str) -> None:
    """Create ``bucket`` unless it exists (outside us-east-1 S3 wants the region named)."""
    arguments: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        await client.create_bucket(**arguments)
    except Exception as exc:
        if error_code(exc) not in _BUCKET_EXISTS:
            raise


async def create_object_storage(
    bucket: str | None = None, key_prefix: str | None = None, **options: Any
) -> S3ObjectStorage:
    """Factory for ``factory = "omnicloud.providers.aws:create_object_storage"``."""
    settings = AwsOptions(**options)
    client = await AwsClient.open("s3", settings)
    try:
        name = bucket or f"{settings.prefix}omnicloud".lower()
        await ensure_bucket(client.client, name, settings.region)
    except BaseException:
        await client.aclose()
        raise
    return S3ObjectStorage(client, name, key_prefix or f"{uuid.uuid4().hex}/")
