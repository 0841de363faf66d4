"""Providers registered by installed packages (entry point group ``omnicloud.providers``).

A package declares, in its ``pyproject.toml``::

    [project.entry-points."omnicloud.providers"]
    acme-kv = "acme.kv:OMNICLOUD_PROVIDER"

where ``OMNICLOUD_PROVIDER`` is a mapping with the keys of a ``[providers.<name>]`` table
(``contract``, ``factory``, ``options``, ``implements``, ``policies``, ``description``...), or a
provider class carrying ``omnicloud_contract = "kv_store"`` and/or ``omnicloud_implements =
[...]`` (the class is then the factory).
Once installed, the provider is certified with no configuration at all. The plugin compliance
check verifies discovery, metadata, and that the provider has its contract's methods, async,
with compatible signatures, before any contract test runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pydantic import ValidationError

from omnicloud.config.models import Config, ProviderConfig
from omnicloud.contracts import CONTRACTS, resolve_contract

GROUP = "omnicloud.providers"

#: Positional arguments each contract's suites pass to a provider method.
ARITY: dict[str, dict[str, int]] = {
    "kv_store": {"get": 1, "set": 2, "delete": 1},
    "multi_tenancy": {"get": 1, "set": 2, "delete": 1},
    "cache": {"get": 1, "set": 2, "delete": 1},
    "secrets": {"get": 1},
    "object_storage": {"upload": 2, "download": 1, "delete": 1},
    "document_database": {
        "insert_one": 2,
        "find_one": 2,
        "find_many": 2,
        "update_one": 3,
        "delete_one": 2,
    },
}


@dataclass(frozen=True)
class DiscoveredProvider:
    """One entry point: its metadata, and the provider config it declares (or why not)."""

    name: str
    value: str
    distribution: str | None
    version: str | None
    provider: ProviderConfig | None = None
    description: str = ""
    problems: tuple[str, ...] = field(default=())


def discover(group: str = GROUP) -> list[DiscoveredProvider]:
    return [_load(ep) for ep in sorted(entry_points(group=group), key=lambda e: e.name)]


def _load(ep: EntryPoint) -> DiscoveredProvider:
    dist = ep.dist
    found = DiscoveredProvider(
        name=ep.name,
        value=ep.value,
        distribution=dist.metadata["Name"] if dist else None,
        version=dist.version if dist else None,
    )
    try:
        obj = ep.load()
    except Exception as exc:  # any import failure is reported, never raised
        problem = f"cannot load entry point '{ep.name} = {ep.value}': {type(exc).__name__}: {exc}"
        return replace(found, problems=(problem,))
    declared = _declaration(obj, ep.value)
    if isinstance(declared, str):
        return replace(found, problems=(declared,))
    description = str(declared.pop("description", "") or "")
    declared.setdefault("distribution", found.distribution)
    try:
        provider = ProviderConfig.model_validate(declared)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        return replace(
            found, description=description, problems=(f"metadata key '{where}': {message}",)
        )
    if provider.contract is None and not provider.implements:
        problem = "declares neither 'contract' nor 'implements': nothing to certify"
        return replace(found, description=description, problems=(problem,))
    return replace(found, provider=provider, description=description)


def _declaration(obj: Any, value: str) -> dict[str, Any] | str:
    if isinstance(obj, dict):
        return dict(obj)
    contract = getattr(obj, "omnicloud_contract", None)
    implements = getattr(obj, "omnicloud_implements", None)
    if inspect.isclass(obj) and (isinstance(contract, str) or isinstance(implements, list | tuple)):
        doc = (inspect.getdoc(obj) or "").splitlines()
        declared: dict[str, Any] = {
            "factory": value,
            "description": doc[0] if doc else "",
        }
        if isinstance(contract, str):
            declared["contract"] = contract
        if isinstance(implements, list | tuple):
            declared["implements"] = list(implements)
        return declared
    return (
        f"entry point value '{value}' is neither a mapping of provider keys nor a class"
        " with an 'omnicloud_contract' or 'omnicloud_implements' attribute"
    )


def merge_discovered(config: Config, found: list[DiscoveredProvider] | None = None) -> Config:
    """Add discovered providers that the configuration does not define by the same name."""
    if not config.project.discover_plugins:
        return config
    found = discover() if found is None else found
    extra = {
        d.name: d.provider
        for d in found
        if d.provider is not None and d.name not in config.providers
    }
    if not extra:
        return config
    return config.model_copy(update={"providers": {**config.providers, **extra}})


def check_plugin(
    found: DiscoveredProvider,
    *,
    importer: Callable[[str], Any] | None = None,
) -> list[str]:
    """Compliance of an installed provider: discovery, metadata, methods and signatures."""
    problems = list(found.problems)
    if found.provider is None:
        return problems
    if found.distribution is None:
        problems.append("no distribution metadata (install the package that declares it)")
    provider = found.provider
    from omnicloud.build import import_object
    from omnicloud.errors import ProviderError

    try:
        factory = (importer or (lambda p: import_object(p, what=f"plugin {found.name}")))(
            provider.factory
        )
    except ProviderError as exc:
        return [*problems, exc.message]
    for contract in (provider.contract, *provider.policies):
        if contract is not None:  # an interface-only plugin declares no contract
            problems += signature_problems(factory, contract)
    return problems + interface_problems(factory, provider.implements)


def interface_problems(factory: Any, interfaces: list[str]) -> list[str]:
    """Methods of the declared interfaces that ``factory`` (or the class it returns) lacks."""
    from omnicloud.capabilities import check_shape, shape_target

    target = shape_target(factory)
    if target is None:
        return []
    return [f"{name}: {problem}" for name in interfaces for problem in check_shape(target, name)]


def signature_problems(factory: Any, contract: str) -> list[str]:
    """Methods of ``contract`` that ``factory`` (a class) lacks, has sync, or cannot be called
    with as many positional arguments as the suites pass."""
    if not inspect.isclass(factory):
        return []
    spec = resolve_contract(contract)
    arity = ARITY.get(spec.name, {})
    problems = []
    for method in spec.methods:
        member = inspect.getattr_static(factory, method, None)
        if member is None:
            problems.append(f"{spec.name}: missing method '{method}'")
            continue
        if not inspect.iscoroutinefunction(member):
            problems.append(f"{spec.name}: '{method}' is not an async method")
            continue
        wanted = arity.get(method)
        if wanted is not None and not _accepts(member, wanted):
            problems.append(
                f"{spec.name}: '{method}{inspect.signature(member)}' cannot take"
                f" {wanted} positional argument(s) after self"
            )
    return problems


def _accepts(function: Callable[..., Any], count: int) -> bool:
    params = list(inspect.signature(function).parameters.values())[1:]  # drop self
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        required = [
            p
            for p in params
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        ]
        return len(required) <= count
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    required_kw = [p for p in params if p.kind is p.KEYWORD_ONLY and p.default is p.empty]
    return len(required) <= count <= len(positional) and not required_kw


def contract_names() -> list[str]:
    return sorted(CONTRACTS)
