"""IAM: an upstream-style test class (spec 1.9) and our reference provider."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from omnicloud.providers.memory.iam import InMemoryIAMProvider as MemoryIAM
from omnicloud.providers.memory.iam import pattern_matches
from tck_py.security.iam import BaseTestIAMContract


class UpstreamReferenceIAMProvider:
    """Shaped like upstream's reference: exact principals, `*`/trailing-`*` actions and
    resources, no resource never matches, deny checked first, default deny."""

    def __init__(self, policy_set: list[dict[str, str]]) -> None:
        self._allow = [p for p in policy_set if p["effect"] == "allow"]
        self._deny = [p for p in policy_set if p["effect"] == "deny"]

    @staticmethod
    def _match(pattern: str, value: str | None) -> bool:
        if value is None:
            return False
        if pattern == "*":
            return True
        if pattern.endswith("*"):
            return value.startswith(pattern[:-1])
        return pattern == value

    def _applies(
        self, policy: dict[str, str], principal: str, action: str, resource: str | None
    ) -> bool:
        return (
            policy["principal"] == principal
            and self._match(policy["action"], action)
            and self._match(policy["resource"], resource)
        )

    async def is_allowed(self, principal: str, action: str, resource: str | None) -> bool:
        await asyncio.sleep(0)
        if any(self._applies(p, principal, action, resource) for p in self._deny):
            return False
        return any(self._applies(p, principal, action, resource) for p in self._allow)


class TestUpstreamReferenceIAMCompliance(BaseTestIAMContract):
    @pytest.fixture
    def provider_factory(self) -> Any:
        async def _factory(policy_set: list[dict[str, str]]) -> UpstreamReferenceIAMProvider:
            return UpstreamReferenceIAMProvider(policy_set)

        return _factory


class TestMemoryIAMCompliance(BaseTestIAMContract):
    @pytest.fixture
    def provider_factory(self) -> Any:
        async def _factory(policy_set: list[dict[str, str]]) -> MemoryIAM:
            return MemoryIAM(policy_set)

        return _factory


async def test_memory_iam_supports_principal_wildcards() -> None:
    provider = MemoryIAM(
        [{"effect": "allow", "principal": "user:*", "action": "kv:read", "resource": "r"}]
    )
    assert await provider.is_allowed("user:bob", "kv:read", "r") is True


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            {"effect": "permit", "principal": "p", "action": "a", "resource": "r"},
            r"policy_set\[0\].effect must be 'allow' or 'deny', got 'permit'",
        ),
        (
            {"effect": "allow", "principal": "p", "action": 3, "resource": "r"},
            r"policy_set\[0\].action must be a string, got 3",
        ),
        (
            {"effect": "allow", "principal": "p", "action": "a", "resource": "r", "when": "x"},
            r"policy_set\[0\] has unknown keys \['when'\]",
        ),
    ],
)
def test_memory_iam_rejects_malformed_policies(policy: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MemoryIAM([policy])


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("a", "a", True),
        ("a", "ab", False),
        ("a*", "a", True),
        ("a*", "abc", True),
        ("a*", "b", False),
        ("*", "", True),
        ("a*b", "axb", False),
        ("a*b", "a*b", True),
        ("a?", "ab", False),
    ],
)
def test_pattern_matches(pattern: str, value: str, expected: bool) -> None:
    assert pattern_matches(pattern, value) is expected
