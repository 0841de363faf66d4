"""IAM policy evaluation contract.

Fixture: ``provider_factory`` (sync) returning an async callable;
``await provider_factory(policy_set=[...])`` gives a provider for that policy set. Each policy is
a dict with ``effect`` (``"allow"`` or ``"deny"``), ``principal``, ``action`` and ``resource``
(strings). The provider's async ``is_allowed(principal, action, resource)`` returns ``True`` or
``False`` (the bools themselves).

Matching rules: a pattern matches a value exactly (case-sensitive, no prefix match, and ``?``,
``[`` or a ``*`` that is not last are literal characters) unless it ends with ``*``, in which
case it matches every value starting with what precedes the ``*`` (zero or more characters
follow; a lone ``*`` matches everything). A request with ``resource=None`` is always denied. Any
matching ``deny`` wins over any matching ``allow``; without a matching ``allow`` the answer is
``False``.

Principal wildcards are optional (upstream's reference matches principals exactly, which is
certified too), so the suite checks that principal patterns never *leak*: an exact principal
never matches another principal, and a trailing-``*`` principal never matches one outside its
prefix.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

ProviderFactory = Callable[..., Awaitable[Any]]

KV_READ_ACTION = "kv:read"


def allow(principal: str, action: str, resource: str) -> dict[str, str]:
    return {"effect": "allow", "principal": principal, "action": action, "resource": resource}


def deny(principal: str, action: str, resource: str) -> dict[str, str]:
    return {"effect": "deny", "principal": principal, "action": action, "resource": resource}


ALICE = "user:alice"
ORDERS = "store:orders"


@pytest.mark.asyncio
class BaseTestIAMContract:
    """The IAM contract. Subclass it and override ``provider_factory``."""

    @pytest.fixture
    def provider_factory(self) -> ProviderFactory:
        raise NotImplementedError(
            "override the 'provider_factory' fixture in your test class: it must return an async"
            " callable taking policy_set=[...] that creates your IAM provider"
        )

    # -- upstream tests ---------------------------------------------------------------------

    async def test_explicit_allow(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, KV_READ_ACTION, ORDERS)])
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, ORDERS) is True

    async def test_explicit_deny(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, KV_READ_ACTION, ORDERS)])
        assert await provider.is_allowed(ALICE, "kv:write", ORDERS) is False

    async def test_secure_by_default_deny(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory(policy_set=[])
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, ORDERS) is False

    async def test_secure_by_default_deny_if_resource_not_specified(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, KV_READ_ACTION, "*")])
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, None) is False

    async def test_deny_overrides_allow(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory(
            policy_set=[allow(ALICE, "db:*", ORDERS), deny(ALICE, "db:delete", ORDERS)]
        )
        assert await provider.is_allowed(ALICE, "db:read", ORDERS) is True
        assert await provider.is_allowed(ALICE, "db:delete", ORDERS) is False

    async def test_wildcard_in_action(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, "s3:Get*", "bucket:photos")])
        assert await provider.is_allowed(ALICE, "s3:GetObject", "bucket:photos") is True
        assert await provider.is_allowed(ALICE, "s3:GetObjectAcl", "bucket:photos") is True
        assert await provider.is_allowed(ALICE, "s3:PutObject", "bucket:photos") is False

    # -- actions: exact unless a trailing * -------------------------------------------------

    async def test_action_is_not_matched_by_prefix(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, "kv:read", ORDERS)])
        assert await provider.is_allowed(ALICE, "kv:readwrite", ORDERS) is False
        assert await provider.is_allowed(ALICE, "kv:rea", ORDERS) is False

    async def test_action_is_case_sensitive(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, "kv:read", ORDERS)])
        assert await provider.is_allowed(ALICE, "KV:READ", ORDERS) is False

    async def test_trailing_wildcard_action_matches_the_bare_prefix(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, "s3:Get*", ORDERS)])
        assert await provider.is_allowed(ALICE, "s3:Get", ORDERS) is True

    async def test_trailing_wildcard_action_does_not_match_outside_its_prefix(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, "s3:Get*", ORDERS)])
        for action in ("s3:get", "s3:Ge", "s3:PutGetObject", "xs3:GetObject"):
            assert await provider.is_allowed(ALICE, action, ORDERS) is False, action

    async def test_lone_wildcard_action_matches_any_action(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, "*", ORDERS)])
        assert await provider.is_allowed(ALICE, "kv:delete", ORDERS) is True
        assert await provider.is_allowed(ALICE, "anything:else", ORDERS) is True

    async def test_wildcard_inside_an_action_pattern_is_literal(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, "s3:*Object", ORDERS)])
        assert await provider.is_allowed(ALICE, "s3:GetObject", ORDERS) is False

    async def test_glob_characters_in_an_action_pattern_are_literal(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(
            policy_set=[allow(ALICE, "kv:rea?", ORDERS), allow(ALICE, "kv:[wd]rite", ORDERS)]
        )
        assert await provider.is_allowed(ALICE, "kv:read", ORDERS) is False
        assert await provider.is_allowed(ALICE, "kv:write", ORDERS) is False

    async def test_regex_characters_in_an_action_pattern_are_literal(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, "kv:.*", ORDERS)])
        assert await provider.is_allowed(ALICE, "kv:read", ORDERS) is False

    # -- resources: exact unless a trailing * -----------------------------------------------

    async def test_resource_is_not_matched_by_prefix(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, KV_READ_ACTION, ORDERS)])
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, ORDERS + "-archive") is False
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, "store:order") is False

    async def test_resource_is_case_sensitive(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, KV_READ_ACTION, ORDERS)])
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, "store:Orders") is False

    async def test_trailing_wildcard_resource_matches_by_prefix(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, KV_READ_ACTION, "store:*")])
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, "store:orders") is True
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, "store:") is True

    async def test_trailing_wildcard_resource_does_not_match_outside_its_prefix(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, KV_READ_ACTION, "store:*")])
        for resource in ("stor", "storage:x", "Store:orders", "bucket:store:x"):
            assert await provider.is_allowed(ALICE, KV_READ_ACTION, resource) is False, resource

    async def test_lone_wildcard_resource_matches_any_resource(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, KV_READ_ACTION, "*")])
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, "anything") is True
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, "") is True

    async def test_wildcard_inside_a_resource_pattern_is_literal(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, KV_READ_ACTION, "store:*s")])
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, "store:orders") is False

    async def test_missing_resource_is_denied_even_by_a_prefix_wildcard(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(
            policy_set=[allow(ALICE, "*", "*"), allow(ALICE, "*", "store:*")]
        )
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, None) is False

    # -- principals: exact, and a wildcard never leaks --------------------------------------

    async def test_principal_is_not_matched_by_prefix(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, KV_READ_ACTION, ORDERS)])
        for principal in ("user:alice2", "user:ali", "user:alice:admin"):
            assert await provider.is_allowed(principal, KV_READ_ACTION, ORDERS) is False, principal

    async def test_principal_is_case_sensitive(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, KV_READ_ACTION, ORDERS)])
        assert await provider.is_allowed("User:Alice", KV_READ_ACTION, ORDERS) is False

    async def test_other_principals_get_nothing_from_a_policy(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(policy_set=[allow(ALICE, "*", "*")])
        assert await provider.is_allowed("user:bob", KV_READ_ACTION, ORDERS) is False

    async def test_wildcard_principal_does_not_match_outside_its_prefix(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(policy_set=[allow("user:*", KV_READ_ACTION, ORDERS)])
        for principal in ("service:api", "admin:root", "users:alice", "User:alice"):
            assert await provider.is_allowed(principal, KV_READ_ACTION, ORDERS) is False, principal

    async def test_glob_characters_in_a_principal_pattern_are_literal(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(policy_set=[allow("user:?lice", KV_READ_ACTION, ORDERS)])
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, ORDERS) is False

    # -- deny precedence and default deny ---------------------------------------------------

    async def test_deny_wins_whatever_the_policy_order(
        self, provider_factory: ProviderFactory
    ) -> None:
        policies = [allow(ALICE, KV_READ_ACTION, ORDERS), deny(ALICE, KV_READ_ACTION, ORDERS)]
        for ordered in (policies, policies[::-1]):
            provider = await provider_factory(policy_set=ordered)
            assert await provider.is_allowed(ALICE, KV_READ_ACTION, ORDERS) is False

    async def test_wildcard_deny_overrides_a_specific_allow(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(
            policy_set=[allow(ALICE, KV_READ_ACTION, ORDERS), deny(ALICE, "kv:*", "store:*")]
        )
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, ORDERS) is False

    async def test_deny_for_another_action_does_not_block_an_allow(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(
            policy_set=[allow(ALICE, "kv:*", ORDERS), deny(ALICE, "kv:write", ORDERS)]
        )
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, ORDERS) is True

    async def test_deny_for_another_resource_does_not_block_an_allow(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(
            policy_set=[
                allow(ALICE, KV_READ_ACTION, "store:*"),
                deny(ALICE, KV_READ_ACTION, "store:secret"),
            ]
        )
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, ORDERS) is True

    async def test_deny_for_another_principal_does_not_block_an_allow(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(
            policy_set=[
                allow(ALICE, KV_READ_ACTION, ORDERS),
                deny("user:bob", KV_READ_ACTION, ORDERS),
            ]
        )
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, ORDERS) is True

    async def test_any_matching_allow_grants_access(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(
            policy_set=[
                allow(ALICE, "kv:write", ORDERS),
                allow("user:bob", KV_READ_ACTION, ORDERS),
                allow(ALICE, KV_READ_ACTION, ORDERS),
            ]
        )
        assert await provider.is_allowed(ALICE, KV_READ_ACTION, ORDERS) is True

    async def test_each_provider_uses_only_its_own_policy_set(
        self, provider_factory: ProviderFactory
    ) -> None:
        permissive = await provider_factory(policy_set=[allow(ALICE, "*", "*")])
        empty = await provider_factory(policy_set=[])
        assert await permissive.is_allowed(ALICE, KV_READ_ACTION, ORDERS) is True
        assert await empty.is_allowed(ALICE, KV_READ_ACTION, ORDERS) is False

    async def test_concurrent_decisions_are_consistent(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory(
            policy_set=[allow(ALICE, "kv:*", ORDERS), deny(ALICE, "kv:delete", ORDERS)]
        )
        requests = [("kv:read", True), ("kv:delete", False), ("kv:write", True)] * 20
        answers = await asyncio.gather(
            *(provider.is_allowed(ALICE, action, ORDERS) for action, _ in requests)
        )
        assert answers == [expected for _, expected in requests]
