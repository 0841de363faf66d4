"""Deliberately broken IAM providers: each has one realistic policy-evaluation bug."""

from __future__ import annotations

import asyncio
import fnmatch
import re
from typing import Any, ClassVar


class CorrectIAM:
    """Control: correct (principal wildcards supported)."""

    def __init__(self, policy_set: list[dict[str, str]]) -> None:
        self.policies = [dict(p) for p in policy_set]

    def match(self, field: str, pattern: str, value: str) -> bool:
        return value.startswith(pattern[:-1]) if pattern.endswith("*") else pattern == value

    def applies(self, policy: dict[str, str], principal: str, action: str, resource: Any) -> bool:
        return (
            self.match("principal", policy["principal"], principal)
            and self.match("action", policy["action"], action)
            and self.match("resource", policy["resource"], resource)
        )

    def decide(self, principal: str, action: str, resource: Any) -> Any:
        matching = [
            p["effect"] for p in self.policies if self.applies(p, principal, action, resource)
        ]
        return "deny" not in matching and "allow" in matching

    async def is_allowed(self, principal: str, action: str, resource: str | None) -> Any:
        await asyncio.sleep(0)
        if resource is None:
            return False
        return self.decide(principal, action, resource)


class ActionsMatchByPrefix(CorrectIAM):
    """actions match whenever the request starts with the pattern (no exact check)."""

    def match(self, field: str, pattern: str, value: str) -> bool:
        if field == "action":
            return value.startswith(pattern.rstrip("*"))
        return super().match(field, pattern, value)


class FnmatchPatterns(CorrectIAM):
    """patterns are shell globs: `?`, `[...]` and inner `*` are wildcards."""

    def match(self, field: str, pattern: str, value: str) -> bool:
        return fnmatch.fnmatchcase(value, pattern)


class RegexPatterns(CorrectIAM):
    """patterns become regexes with `*` -> `.*` and nothing escaped."""

    def match(self, field: str, pattern: str, value: str) -> bool:
        return re.fullmatch(pattern.replace("*", ".*"), value) is not None


class FirstMatchingPolicyWins(CorrectIAM):
    """the first matching policy in list order decides (no deny precedence)."""

    def decide(self, principal: str, action: str, resource: Any) -> Any:
        for p in self.policies:
            if self.applies(p, principal, action, resource):
                return p["effect"] == "allow"
        return False


class AllowOverridesDeny(CorrectIAM):
    """any matching allow wins over a matching deny."""

    def decide(self, principal: str, action: str, resource: Any) -> Any:
        matching = [
            p["effect"] for p in self.policies if self.applies(p, principal, action, resource)
        ]
        return "allow" in matching


class DefaultAllow(CorrectIAM):
    """a request no policy matches is allowed."""

    def decide(self, principal: str, action: str, resource: Any) -> Any:
        matching = [
            p["effect"] for p in self.policies if self.applies(p, principal, action, resource)
        ]
        return "deny" not in matching


class NoneResourceMatchesWildcard(CorrectIAM):
    """a missing resource is treated as "" and matched by `*`."""

    async def is_allowed(self, principal: str, action: str, resource: str | None) -> Any:
        return self.decide(principal, action, resource or "")


class CaseInsensitiveMatching(CorrectIAM):
    """patterns and values are compared case-insensitively."""

    def match(self, field: str, pattern: str, value: str) -> bool:
        return super().match(field, pattern.lower(), value.lower())


class PrincipalsMatchByPrefix(CorrectIAM):
    """principals match when the request's principal starts with the policy's."""

    def match(self, field: str, pattern: str, value: str) -> bool:
        if field == "principal":
            return value.startswith(pattern.rstrip("*"))
        return super().match(field, pattern, value)


class ResourcesMatchBySubstring(CorrectIAM):
    """resources match when the policy's resource occurs in the request's."""

    def match(self, field: str, pattern: str, value: str) -> bool:
        if field == "resource":
            return pattern == "*" or pattern.rstrip("*") in value
        return super().match(field, pattern, value)


class DenyMatchesOnlyExactly(CorrectIAM):
    """deny policies ignore wildcards, so `kv:*` denies nothing."""

    def decide(self, principal: str, action: str, resource: Any) -> Any:
        for p in self.policies:
            if p["effect"] == "deny" and (p["principal"], p["action"], p["resource"]) == (
                principal,
                action,
                resource,
            ):
                return False
        return any(
            p["effect"] == "allow" and self.applies(p, principal, action, resource)
            for p in self.policies
        )


class ReturnsTruthyValues(CorrectIAM):
    """the decision is returned as 1/0 instead of True/False."""

    async def is_allowed(self, principal: str, action: str, resource: str | None) -> Any:
        return int(await super().is_allowed(principal, action, resource))


class PoliciesSharedBetweenInstances(CorrectIAM):
    """policies are appended to a class-level list, so providers share them."""

    shared: ClassVar[list[dict[str, str]]] = []

    def __init__(self, policy_set: list[dict[str, str]]) -> None:
        self.shared.extend(policy_set)
        self.policies = self.shared


class WildcardPrincipalMatchesEveryone(CorrectIAM):
    """any principal pattern containing `*` matches every principal."""

    def match(self, field: str, pattern: str, value: str) -> bool:
        if field == "principal" and "*" in pattern:
            return True
        return super().match(field, pattern, value)
