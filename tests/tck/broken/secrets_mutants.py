"""Deliberately broken secrets providers: each has one realistic lookup bug.

Every class is built with the seeded secrets: ``Class({name: value})``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tck_py.shared.exceptions import SecretNotFoundError


class CorrectSecrets:
    """Control: correct."""

    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = dict(secrets)

    def lookup(self, name: str) -> str | None:
        return self.secrets.get(name)

    async def get(self, secret_name: str) -> Any:
        await asyncio.sleep(0)
        value = self.lookup(secret_name)
        if value is None:
            raise SecretNotFoundError(secret_name)
        return value


class CaseInsensitiveNames(CorrectSecrets):
    """names are compared case-insensitively."""

    def lookup(self, name: str) -> str | None:
        return next((v for n, v in self.secrets.items() if n.lower() == name.lower()), None)


class PrefixSearch(CorrectSecrets):
    """a name matches any secret whose name starts with it (a list-by-prefix API)."""

    def lookup(self, name: str) -> str | None:
        return next((v for n, v in self.secrets.items() if n.startswith(name)), None)


class MatchesNamesStartingWithAStoredName(CorrectSecrets):
    """a name matches a stored secret when it starts with that secret's name (path routing)."""

    def lookup(self, name: str) -> str | None:
        return next((v for n, v in self.secrets.items() if name.startswith(n)), None)


class SuffixMatch(CorrectSecrets):
    """a name matches a secret whose name ends with it (last path segment lookup)."""

    def lookup(self, name: str) -> str | None:
        return next((v for n, v in self.secrets.items() if n.endswith(name)), None)


class MissingReturnsNone(CorrectSecrets):
    """a missing secret is returned as None."""

    async def get(self, secret_name: str) -> Any:
        return self.lookup(secret_name)


class MissingRaisesKeyError(CorrectSecrets):
    """a missing secret raises KeyError."""

    async def get(self, secret_name: str) -> Any:
        return self.secrets[secret_name]


class StripsNames(CorrectSecrets):
    """names are stripped before the lookup."""

    def lookup(self, name: str) -> str | None:
        return self.secrets.get(name.strip())


class RemembersMissesAsNone(CorrectSecrets):
    """a miss is cached and the second lookup returns the cached None."""

    def __init__(self, secrets: dict[str, str]) -> None:
        super().__init__(secrets)
        self.misses: set[str] = set()

    async def get(self, secret_name: str) -> Any:
        if secret_name in self.misses:
            return None
        try:
            return await super().get(secret_name)
        except SecretNotFoundError:
            self.misses.add(secret_name)
            raise


class ReturnsBytes(CorrectSecrets):
    """the value is returned as the backend's raw bytes."""

    async def get(self, secret_name: str) -> Any:
        return (await super().get(secret_name)).encode()
