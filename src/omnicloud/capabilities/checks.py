"""Configuration check: interface names in ``implements`` and ``expected_failures``.

Appended to ``omnicloud.config.checks.CHECKS``, so ``load_config`` reports unknown names with
file:line:col and did-you-mean, before anything runs.
"""

from __future__ import annotations

from collections.abc import Iterator

from omnicloud.config.models import Config, ProviderConfig
from omnicloud.errors import did_you_mean
from tck_py.interfaces.catalog import INTERFACES

Problem = tuple[tuple[str, ...], str]


def _unknown(name: str) -> str:
    return (
        f"unknown interface '{name}'{did_you_mean(name, list(INTERFACES))}"
        f" ({len(INTERFACES)} interfaces: see docs/interfaces.md)"
    )


def _suites_to_run(name: str, provider: ProviderConfig) -> Iterator[Problem]:
    """A provider needs something to certify: a contract, interfaces, or both."""
    if provider.contract is None and not provider.implements:
        yield (
            ("providers", name),
            "declares neither 'contract' nor 'implements': set contract = \"<name>\" and/or"
            ' implements = ["<interface>", ...] (see docs/interfaces.md)',
        )
    elif provider.contract is None and provider.policies:
        yield (
            ("providers", name, "policies"),
            "policies mix into the contract suite, and this provider declares no 'contract':"
            " add one or remove 'policies'",
        )


def check_interfaces(config: Config) -> Iterator[Problem]:
    """Unknown, repeated or incomplete interface claims, and stray expected failures."""
    for name, provider in config.providers.items():
        yield from _suites_to_run(name, provider)
        claimed = set(provider.implements)
        seen: set[str] = set()
        for index, interface in enumerate(provider.implements):
            key = ("providers", name, "implements", str(index))
            spec = INTERFACES.get(interface)
            if spec is None:
                yield key, _unknown(interface)
                continue
            if interface in seen:
                yield key, f"interface '{interface}' is listed twice"
            seen.add(interface)
            for needed in spec.requires:
                if needed not in claimed:
                    yield (
                        key,
                        (
                            f"interface '{interface}' builds on '{needed}', which is not"
                            f" declared; add '{needed}' to implements"
                        ),
                    )
        for interface in provider.expected_failures:
            key = ("providers", name, "expected_failures", interface)
            if interface not in INTERFACES:
                yield key, _unknown(interface)
            elif interface not in claimed:
                yield (
                    key,
                    (
                        f"expected failure for '{interface}', which implements does not"
                        f" declare; declare it or remove this entry"
                    ),
                )
