"""In-memory secrets provider, seeded at construction.

    [providers.memory-secrets]
    contract = "secrets"
    factory = "omnicloud.providers.memory.secrets:InMemorySecrets"

The certification adapter seeds the configured secret by calling the factory with
``secrets={name: value}``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from tck_py.shared.exceptions import SecretNotFoundError


class InMemorySecrets:
    """Secrets held in a dict; names are matched exactly."""

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        self._secrets: dict[str, str] = {}
        for name, value in (secrets or {}).items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise TypeError(f"secret names and values must be str, got {name!r}")
            self._secrets[name] = value

    async def get(self, secret_name: str) -> str:
        await asyncio.sleep(0)
        try:
            return self._secrets[secret_name]
        except KeyError:
            raise SecretNotFoundError(f"no secret named {secret_name!r}") from None
