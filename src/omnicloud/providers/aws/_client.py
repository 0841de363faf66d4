"""One aiobotocore client per provider, made from the provider's options and closed with it.

Options (the same for every AWS provider): ``endpoint_url`` (``None`` for real AWS; the URL of
moto, MinIO or any S3-compatible store otherwise), ``region``, ``access_key_id`` and
``secret_access_key`` (mark them secret in ``omnicloud.toml``: ``{ secret = "..." }``; ``None``
uses the default AWS credential chain), ``prefix`` (isolation: every bucket, queue and secret
name this provider makes starts with it) and ``connect_timeout`` (seconds).
"""

from __future__ import annotations

import contextlib
import importlib.util
from dataclasses import dataclass
from typing import Any

from omnicloud.errors import ProviderError


def omnicloud_preflight() -> None:
    """The AWS providers need aiobotocore (extra ``aws``): one clear error before any test."""
    if importlib.util.find_spec("aiobotocore") is None:
        raise ProviderError(
            "the AWS providers need the 'aiobotocore' package, which is not installed",
            hint="pip install 'open-omni-cloud-tck[aws]'",
        )


# One session per process: it loads the (large) service models once. A session holds no
# connection and no event loop (clients do), so it is safe to share across loops.
_SESSION: dict[str, Any] = {}


@dataclass(frozen=True)
class AwsOptions:
    """Where and as whom the provider talks to AWS (or an AWS-compatible server)."""

    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = None
    prefix: str = ""
    connect_timeout: float = 2.0

    def __repr__(self) -> str:  # credentials never end up in a log or a report
        return f"AwsOptions(endpoint_url={self.endpoint_url!r}, region={self.region!r})"


class AwsClient:
    """An open aiobotocore client for one service; ``aclose()`` closes its connections."""

    def __init__(self) -> None:
        self._stack = contextlib.AsyncExitStack()
        self.client: Any = None

    @classmethod
    async def open(cls, service: str, options: AwsOptions) -> AwsClient:
        from aiobotocore.config import AioConfig
        from aiobotocore.session import get_session

        made = cls()
        if "session" not in _SESSION:
            _SESSION["session"] = get_session()
        session = _SESSION["session"]
        config = AioConfig(
            connect_timeout=options.connect_timeout,
            read_timeout=30,
            retries={"max_attempts": 2, "mode": "standard"},
        )
        made.client = await made._stack.enter_async_context(
            session.create_client(
                service,
                region_name=options.region,
                endpoint_url=options.endpoint_url,
                aws_access_key_id=options.access_key_id,
                aws_secret_access_key=options.secret_access_key,
                config=config,
            )
        )
        return made

    async def aclose(self) -> None:
        await self._stack.aclose()


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` (``""`` for anything else)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))
