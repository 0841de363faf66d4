"""The pure planner: ``Config`` -> ``Plan`` (test targets and nox sessions).

No I/O and no imports of test code: the plan names suites by ``module:Class`` paths. The pytest
plugin turns targets into test classes; ``nox_sessions`` turns sessions into nox sessions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from omnicloud.config.models import Config, ProviderConfig
from omnicloud.contracts import CONTRACTS, resolve_contract
from omnicloud.errors import SelectionError, did_you_mean, one_of


@dataclass(frozen=True)
class Target:
    """One suite run against one provider: a generated test class."""

    provider: str
    suite: str
    kind: Literal["contract", "interface"]
    suite_path: str
    adapter: str
    fixture: str
    mixins: tuple[str, ...] = ()
    contract: str = ""
    probe: bool = False

    @property
    def node_name(self) -> str:
        """The test class node name: ``<provider>:<suite>``."""
        return f"{self.provider}:{self.suite}"


@dataclass(frozen=True)
class SessionSpec:
    """A nox session: a thin call of the ``omnicloud`` command."""

    name: str
    description: str
    argv: tuple[str, ...]
    tags: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class Selection:
    """What to certify: names of providers, contracts (or aliases) and interfaces."""

    providers: tuple[str, ...] = ()
    contracts: tuple[str, ...] = ()
    interfaces: tuple[str, ...] = ()
    probe: bool = False
    environment: str | None = None


@dataclass(frozen=True)
class Plan:
    targets: tuple[Target, ...]
    sessions: tuple[SessionSpec, ...] = field(default=())

    def providers(self) -> list[str]:
        return sorted({t.provider for t in self.targets})


def plan(config: Config, selection: Selection | None = None) -> Plan:
    return Plan(plan_targets(config, selection or Selection()), plan_sessions(config))


def plan_targets(config: Config, selection: Selection) -> tuple[Target, ...]:
    """Targets for the selected providers, in config order; raises ``SelectionError``."""
    providers = _select_providers(config, selection)
    targets: list[Target] = []
    for name in providers:
        provider = config.providers[name]
        if provider.contract is not None:  # interface-only providers run their interfaces only
            targets.append(_contract_target(name, provider.contract, provider))
        targets.extend(_interface_targets(name, provider, selection))
    if selection.interfaces:
        wanted = set(selection.interfaces)
        targets = [t for t in targets if t.kind == "interface" and t.suite in wanted]
    return tuple(targets)


def _select_providers(config: Config, selection: Selection) -> list[str]:
    known = list(config.providers)
    for name in selection.providers:
        if name not in config.providers:
            raise SelectionError(
                f"unknown provider '{name}'{did_you_mean(name, known)} (accepted: {one_of(known)})"
            )
    contracts: set[str] = set()
    for name in selection.contracts:
        try:
            contracts.add(resolve_contract(name, kind="contract").name)
        except LookupError as exc:
            raise SelectionError(str(exc)) from None
    chosen = []
    for name, provider in config.providers.items():
        if selection.providers and name not in selection.providers:
            continue
        if contracts and provider.contract not in contracts:
            continue
        if not provider.enabled and name not in selection.providers:
            continue
        if skip_reason(provider, selection.environment) is None:
            chosen.append(name)
    return chosen


def skip_reason(provider: ProviderConfig, environment: str | None) -> str | None:
    """Why a provider sits out a run in ``environment``, or ``None`` when it takes part.

    Without an environment only embedded providers run (those needing no service), so
    ``nox -s certify`` works on a machine with nothing installed.
    """
    if environment is None and provider.environments is not None:
        return (
            f"enabled only in environments {', '.join(provider.environments)}: choose one"
            " (--env NAME, OMNICLOUD_ENV or project.default_environment)"
        )
    if environment is None and provider.services:
        return (
            f"needs service(s) {', '.join(provider.services)}: choose an environment"
            " (--env NAME, OMNICLOUD_ENV or project.default_environment)"
        )
    if (
        environment is not None
        and provider.environments is not None
        and environment not in provider.environments
    ):
        return (
            f"not enabled in environment '{environment}' (environments = {provider.environments})"
        )
    return None


def skipped_providers(config: Config, selection: Selection) -> dict[str, str]:
    """Selected-by-name-or-contract providers that sit out this environment, with reasons."""
    contracts = set()
    for name in selection.contracts:
        try:
            contracts.add(resolve_contract(name, kind="contract").name)
        except LookupError:
            continue
    found = {}
    for name, provider in config.providers.items():
        if selection.providers and name not in selection.providers:
            continue
        if contracts and provider.contract not in contracts:
            continue
        reason = skip_reason(provider, selection.environment)
        if reason and provider.enabled:
            found[name] = reason
    return found


def _contract_target(name: str, contract: str, provider: ProviderConfig) -> Target:
    spec = CONTRACTS[contract]
    return Target(
        provider=name,
        suite=spec.name,
        kind="contract",
        suite_path=spec.suite,
        adapter=spec.adapter,
        fixture=spec.fixture,
        mixins=tuple(CONTRACTS[p].suite for p in provider.policies),
        contract=spec.name,
    )


def _interface_targets(
    name: str,
    provider: ProviderConfig,
    selection: Selection,
) -> Iterable[Target]:
    """One target per declared interface; with ``probe``, also every undeclared one."""
    if not provider.implements and not selection.probe:
        return []
    from omnicloud.capabilities import interface_names, suite_for  # imports no test code

    names: Sequence[str] = provider.implements
    extra: list[str] = []
    if selection.probe:
        extra = [i for i in interface_names() if i not in provider.implements]
    return [
        Target(
            provider=name,
            suite=iface,
            kind="interface",
            suite_path=suite_for(iface),
            adapter="omnicloud.adapters.factory",
            fixture="provider_factory",
            contract=provider.contract or "",
            probe=iface in extra,
        )
        for iface in (*names, *extra)
    ]


def plan_sessions(config: Config) -> tuple[SessionSpec, ...]:
    """The nox sessions users type: certify*, affected, matrix, triage, data, env-*, workflows."""
    sessions = [
        SessionSpec(
            "certify",
            "Certify every provider against its contract suites",
            ("certify",),
            ("certify",),
        )
    ]
    contracts = config.contracts_in_use()
    aliases = {CONTRACTS[c].alias for c in contracts}
    for contract in contracts:
        spec = CONTRACTS[contract]
        sessions.append(
            SessionSpec(
                f"certify-{spec.alias}",
                f"Certify the {spec.description} providers ({contract})",
                ("certify", "--contract", contract),
                ("certify", spec.alias),
            )
        )
    for name, provider in config.providers.items():
        session = f"certify-{name}" if name not in aliases else f"certify-provider-{name}"
        sessions.append(
            SessionSpec(
                session,
                f"Certify provider {name} ({_claims(provider)})",
                ("certify", "--provider", name),
                ("certify", "provider", _provider_tag(provider)),
            )
        )
    sessions.extend(
        [
            SessionSpec(
                "affected",
                "Certify only what the git diff can reach, and say why",
                ("affected", "--run", "--explain"),
                ("affected",),
            ),
            SessionSpec(
                "matrix",
                "Provider x interface compliance matrix (terminal, MD, JSON, HTML)",
                ("matrix",),
                ("matrix",),
            ),
            SessionSpec(
                "slo",
                "Measure providers against their SLO profiles (pass / fail / inconclusive)",
                ("slo",),
                ("slo",),
            ),
            SessionSpec(
                "faults",
                "Certify providers under faults: crash, hang, slow network, resets, partitions",
                ("faults",),
                ("faults",),
            ),
            SessionSpec(
                "triage",
                "Classify failures of the last run and route them to owners",
                ("triage",),
                ("triage",),
            ),
            SessionSpec(
                "data",
                "Export the configured test datasets as JSON Lines and CSV",
                ("data",),
                ("data",),
            ),
            SessionSpec(
                "env-up",
                "Start the environment's services and print their endpoints",
                ("env", "up"),
                ("env",),
            ),
            SessionSpec("env-down", "Stop services started by env-up", ("env", "down"), ("env",)),
            SessionSpec(
                "env-prune",
                "Remove leftovers (containers, processes, dirs) of dead runs",
                ("env", "prune"),
                ("env",),
            ),
        ]
    )
    for name, workflow in config.workflows.items():
        steps = []
        for step in workflow.steps:
            step_session = f"workflow-{name}-{step.name}"
            steps.append(step_session)
            sessions.append(
                SessionSpec(
                    step_session,
                    f"Workflow {name}: step {step.name}",
                    ("workflow", "run", name, "--step", step.name),
                    ("workflow",),
                    tuple(f"workflow-{name}-{dep}" for dep in step.depends_on),
                )
            )
        sessions.append(
            SessionSpec(
                f"workflow-{name}",
                workflow.description or f"Run workflow {name}",
                ("workflow", "run", name),
                ("workflow",),
            )
        )
    return tuple(sessions)


def _claims(provider: ProviderConfig) -> str:
    """``kv_store``, ``kv_store + 3 interfaces`` or ``12 interfaces``: what a session certifies."""
    parts = [provider.contract] if provider.contract else []
    if provider.implements:
        count = len(provider.implements)
        parts.append(f"{count} interface{'s' if count != 1 else ''}")
    return " + ".join(parts)


def _provider_tag(provider: ProviderConfig) -> str:
    """The contract's alias, or ``interfaces`` for an interface-only provider (``nox -t``)."""
    return CONTRACTS[provider.contract].alias if provider.contract else "interfaces"
