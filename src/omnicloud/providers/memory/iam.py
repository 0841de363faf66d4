"""In-memory IAM policy evaluation.

    [providers.memory-iam]
    contract = "iam"
    factory = "omnicloud.providers.memory.iam:InMemoryIAMProvider"

A policy is ``{"effect": "allow" | "deny", "principal": ..., "action": ..., "resource": ...}``.
Patterns match exactly unless they end with ``*``, which matches any value starting with the
rest (for principals, actions and resources alike); ``?``, ``[`` and a ``*`` elsewhere are
literal. A request without a resource is denied; a matching deny beats any allow; no matching
allow means deny.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

EFFECTS = ("allow", "deny")
FIELDS = ("principal", "action", "resource")


def pattern_matches(pattern: str, value: str) -> bool:
    """Exact match, or prefix match when ``pattern`` ends with ``*``."""
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return pattern == value


@dataclass(frozen=True)
class Policy:
    effect: str
    principal: str
    action: str
    resource: str

    def applies_to(self, principal: str, action: str, resource: str) -> bool:
        return (
            pattern_matches(self.principal, principal)
            and pattern_matches(self.action, action)
            and pattern_matches(self.resource, resource)
        )


def parse_policy(index: int, raw: Mapping[str, str]) -> Policy:
    """Validate one policy dict; errors name its index and the offending field."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"policy_set[{index}] must be a mapping, got {type(raw).__name__}")
    unknown = sorted(set(raw) - {"effect", *FIELDS})
    if unknown:
        raise ValueError(f"policy_set[{index}] has unknown keys {unknown}")
    effect = raw.get("effect")
    if effect not in EFFECTS:
        raise ValueError(f"policy_set[{index}].effect must be 'allow' or 'deny', got {effect!r}")
    for name in FIELDS:
        if not isinstance(raw.get(name), str):
            raise ValueError(f"policy_set[{index}].{name} must be a string, got {raw.get(name)!r}")
    return Policy(effect, raw["principal"], raw["action"], raw["resource"])


class InMemoryIAMProvider:
    """Evaluates requests against a fixed policy set (copied at construction)."""

    def __init__(self, policy_set: Iterable[Mapping[str, str]] = ()) -> None:
        policies = [parse_policy(i, raw) for i, raw in enumerate(policy_set)]
        self._deny = tuple(p for p in policies if p.effect == "deny")
        self._allow = tuple(p for p in policies if p.effect == "allow")

    async def is_allowed(self, principal: str, action: str, resource: str | None) -> bool:
        await asyncio.sleep(0)
        if resource is None:
            return False
        if any(p.applies_to(principal, action, resource) for p in self._deny):
            return False
        return any(p.applies_to(principal, action, resource) for p in self._allow)
