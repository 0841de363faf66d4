"""Configuration checks for ``slo`` and ``faults`` (appended to ``config.checks.CHECKS``).

Profile names must exist, per-interface targets must name an interface the provider claims,
and fault profiles must be built in or defined under ``[faults.custom]``: every problem is
reported at load with its key path, before anything is measured.
"""

from __future__ import annotations

from collections.abc import Iterator

from omnicloud.config.models import BUILTIN_SLO_PROFILES, Config, ProviderConfig
from omnicloud.errors import did_you_mean, one_of

Problem = tuple[tuple[str, ...], str]


def _unknown(kind: str, name: str, known: list[str]) -> str:
    return f"unknown {kind} '{name}'{did_you_mean(name, known)} (accepted: {one_of(known)})"


def _provider_slo(config: Config, name: str, provider: ProviderConfig) -> Iterator[Problem]:
    profiles = [*BUILTIN_SLO_PROFILES, *config.slo.profiles]
    claimed = list(provider.implements)
    for interface, target in provider.slo.items():
        key = ("providers", name, "slo", interface)
        if interface != "*" and interface not in claimed:
            yield (
                key,
                (
                    f"SLO for interface '{interface}', which the provider does not implement"
                    f"{did_you_mean(interface, claimed)} (implements: {one_of(claimed) or 'none'})"
                ),
            )
        if target.profile is not None and target.profile not in profiles:
            yield (*key, "profile"), _unknown("SLO profile", target.profile, profiles)


def _fault_profiles(names: list[str], known: list[str], key: tuple[str, ...]) -> Iterator[Problem]:
    for index, profile in enumerate(names):
        if profile not in known:
            yield (*key, str(index)), _unknown("fault profile", profile, known)


def check_slo_and_faults(config: Config) -> Iterator[Problem]:
    """Unknown SLO profiles or interfaces, unknown fault profiles."""
    known_faults = config.faults.known_profiles()
    yield from _fault_profiles(config.faults.profiles, known_faults, ("faults", "profiles"))
    for section, names in (("slo", config.slo.providers), ("faults", config.faults.providers)):
        for index, name in enumerate(names or []):
            if name not in config.providers:
                yield (
                    (section, "providers", str(index)),
                    _unknown("provider", name, list(config.providers)),
                )
    for name, provider in config.providers.items():
        yield from _provider_slo(config, name, provider)
        if provider.faults.profiles is not None:
            where = ("providers", name, "faults", "profiles")
            yield from _fault_profiles(provider.faults.profiles, known_faults, where)
