"""Turn plan targets into pytest test classes.

Each class subclasses the target's suite (and policy mixins) and carries the fixtures its adapter
builds from the configured provider. Imports happen here, at collection, so a factory that cannot
be imported or a provider without the contract's methods is reported before any test runs.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import SecretStr

from omnicloud.adapters.runtime import ProviderRuntime
from omnicloud.config.models import Config
from omnicloud.contracts import CONTRACTS, ContractSpec
from omnicloud.endpoints import fill_placeholders, load_endpoints
from omnicloud.errors import ProviderError
from omnicloud.plan import Target


def import_object(path: str, *, what: str) -> Any:
    """Import ``module:attribute``; a failure names ``what`` (such as the provider's key)."""
    module_name, _, attribute = path.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ProviderError(
            f"{what}: cannot import module '{module_name}' of '{path}': {exc}",
            hint="is the provider's package installed (or on sys.path)? 'omnicloud nox' and"
            " plain 'pytest' import from the current environment",
        ) from None
    except Exception as exc:  # any failure while importing is the provider's, not ours
        raise ProviderError(
            f"{what}: importing module '{module_name}' of '{path}' failed:"
            f" {type(exc).__name__}: {exc}",
            hint="the provider's module raised while it was imported; run"
            f" 'python -c \"import {module_name}\"' to see the traceback",
        ) from None
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ProviderError(
                f"{what}: module '{module_name}' has no attribute '{attribute}' (from '{path}')"
            ) from None
    return obj


def preflight(path: str, *, what: str) -> None:
    """Run the factory module's ``omnicloud_preflight()``, if it has one, before any test.

    A provider module checks there what its providers need and the plain import does not
    (an optional client library, say), so a missing piece is one clear error (exit 4), not a
    failure of every test.
    """
    module = sys.modules.get(path.partition(":")[0])
    check = getattr(module, "omnicloud_preflight", None)
    if not callable(check):
        return
    try:
        check()
    except ProviderError as exc:
        raise ProviderError(f"{what}: {exc.message}", hint=exc.hint) from None


def unwrap_secrets(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Mapping):
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [unwrap_secrets(v) for v in value]
    return value


def resolve_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Secrets unwrapped, service placeholders filled from this process's endpoints."""
    resolved = fill_placeholders(unwrap_secrets(options), load_endpoints())
    assert isinstance(resolved, dict)
    return resolved


def contract_shape_problems(
    factory: Any, methods: tuple[str, ...], sync_methods: tuple[str, ...] = ()
) -> list[str]:
    """Methods a provider class lacks or has in the wrong shape (not async).

    Only classes can be checked before running; a factory function is checked by the tests.
    """
    if not inspect.isclass(factory):
        return []
    problems = [
        f"missing method '{m}'"
        for m in sync_methods
        if inspect.getattr_static(factory, m, None) is None
    ]
    for method in methods:
        member = inspect.getattr_static(factory, method, None)
        if member is None:
            problems.append(f"missing method '{method}'")
        elif not inspect.iscoroutinefunction(member):
            problems.append(f"'{method}' is not an async method")
    return problems


def add_import_roots(config: Config) -> None:
    """Make provider code importable as pytest would: the config's folder and its ``src/``."""
    if config.source is None:
        return
    root = config.source.parent
    for folder in (root / "src", root):
        entry = str(folder)
        if folder.is_dir() and entry not in sys.path:
            sys.path.insert(0, entry)


def build_runtime(config: Config, target: Target) -> ProviderRuntime:
    add_import_roots(config)
    provider = config.providers[target.provider]
    key = f"providers.{target.provider}.factory"
    factory = import_object(provider.factory, what=key)
    preflight(provider.factory, what=key)
    spec = _suite_spec(target)
    check_option_names(target.provider, provider.factory, factory, provider.options, spec)
    if target.kind == "contract":
        problems = contract_shape_problems(factory, spec.methods, spec.sync_methods)
        if problems:
            raise ProviderError(
                f"{key}: '{provider.factory}' does not have the shape of contract"
                f" '{spec.name}': {'; '.join(problems)}",
                hint=f"see docs/contracts/{spec.name}.md for the methods and their signatures",
            )
    elif not target.probe:
        from omnicloud.capabilities import require_shapes

        require_shapes(factory, [target.suite], what=f"providers.{target.provider}.implements")
    runtime = ProviderRuntime(
        name=target.provider,
        contract=spec,
        factory=factory,
        raw_options=provider.options,
        resolve=resolve_options,
    )
    # Options an adapter turns into suite attributes (publish_error_within) are checked now,
    # before any test, so a bad value is a configuration error naming its key.
    suite_attributes = getattr(importlib.import_module(spec.adapter), "suite_attributes", None)
    if suite_attributes is not None:
        suite_attributes(runtime)
    return runtime


def check_option_names(
    name: str, path: str, factory: Any, options: Mapping[str, Any], spec: ContractSpec
) -> None:
    """An option the factory does not take is a configuration mistake of the provider (exit
    4) found before any test, not one failed test per test of the suite."""
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # no introspectable signature: the call decides
        return
    accepted = [p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        _check_near_misses(name, path, options, accepted)
        return
    adapter_keys = getattr(importlib.import_module(spec.adapter), "ADAPTER_OPTIONS", ())
    for option in options:
        if option not in accepted and option not in adapter_keys:
            from omnicloud.errors import did_you_mean, one_of

            raise ProviderError(
                f"providers.{name}.options.{option}: the factory '{path}' does not take"
                f" '{option}'{did_you_mean(option, accepted)}"
                f" (accepted: {one_of([*accepted, *adapter_keys])})",
                hint="fix the option's name in the configuration, or give the factory the"
                " parameter",
            )


def _check_near_misses(
    name: str, path: str, options: Mapping[str, Any], accepted: list[str]
) -> None:
    """A factory taking ``**options`` passes unknown ones on (to its client library), so only
    an option this close to one of its own parameters (``prefx`` for ``prefix``) can be called
    a misspelling; anything else is the client's to refuse."""
    import difflib

    for option in options:
        if option in accepted:
            continue
        close = difflib.get_close_matches(option, sorted(accepted), n=1, cutoff=NEAR_MISS)
        if close:
            raise ProviderError(
                f"providers.{name}.options.{option}: the factory '{path}' has no parameter"
                f" '{option}'; did you mean '{close[0]}'? (options it does not name go on to"
                " its client; this one is a near miss of a name)",
                hint="fix the option's name in the configuration",
            )


#: How close (difflib ratio) an option must be to a parameter to be called its misspelling.
NEAR_MISS = 0.85


def _suite_spec(target: Target) -> ContractSpec:
    """What the adapter needs to know of the suite: the contract's entry, or for an interface
    (with or without a contract on the provider) one made from the target."""
    if target.kind == "contract":
        return CONTRACTS[target.suite]
    return ContractSpec(
        name=target.suite,
        alias=target.suite,
        family="interfaces",
        suite=target.suite_path,
        adapter=target.adapter,
        fixture=target.fixture,
    )


def build_test_class(config: Config, target: Target) -> type:
    """The test class for ``target``: suite + mixins + the adapter's fixtures."""
    runtime = build_runtime(config, target)
    suite = import_object(target.suite_path, what=f"suite of {target.node_name}")
    mixins = [import_object(path, what=f"policy of {target.node_name}") for path in target.mixins]
    adapter = importlib.import_module(target.adapter)
    namespace: dict[str, Any] = dict(adapter.build_fixtures(runtime))
    namespace.update(
        __test__=True,
        __module__="omnicloud.generated",
        omnicloud_target=target,
        __qualname__=target.node_name,
    )
    cls = type(target.node_name, (suite, *mixins), namespace)
    if target.kind == "interface" and not target.probe:
        from omnicloud.capabilities import expected_failure_mark

        expected = expected_failure_mark(config.providers[target.provider], target.suite)
        if expected is not None:
            cls = expected(cls)
    marked: type = pytest.mark.omnicloud(
        provider=target.provider, suite=target.suite, kind=target.kind
    )(cls)
    return marked
