"""Stages ``prepare_results`` and ``check_providers``: the run folder, and every factory
checked before any test."""

from __future__ import annotations

from pathlib import Path

from omnicloud.config import Config
from omnicloud.discovery import DiscoveredProvider
from omnicloud.errors import ProviderError
from omnicloud.pipeline.state import RunState


def prepare_results(state: RunState) -> int | None:
    """Lock the results folder for this run and open the fresh folder it writes into."""
    from omnicloud.resume import plan_resume
    from omnicloud.run_folder import open_run_folder

    assert state.config is not None
    assert state.config.source is not None
    folder = state.options.results_dir or state.config.project.results_dir
    if not folder.is_absolute():
        folder = (
            Path.cwd() / folder
            if state.options.results_dir
            else (state.config.source.parent / folder)
        )
    suffix = f"-shard-{state.options.shard.replace('/', '-of-')}" if state.options.shard else ""
    state.run_folder = open_run_folder(folder, state.run_id, suffix)
    if state.options.resume:
        state.resume = plan_resume(folder, state.run_folder.junit_name)
    state.folder = state.run_folder.staging
    state.junit = state.folder / state.run_folder.junit_name
    return None


def check_providers(state: RunState) -> int | None:
    """Import every factory and check the contract's shape before any test runs."""
    from omnicloud.build import build_runtime

    assert state.config is not None
    seen: set[str] = set()
    for target in state.targets:
        if target.kind == "interface" and not target.probe:
            build_runtime(state.config, target)  # the interface's methods, before any test
        elif target.kind == "contract" and target.provider not in seen:
            build_runtime(state.config, target)
        seen.add(target.provider)  # interface-only providers too
    _check_plugins(state.config, seen, state.plugins)
    return None


def _check_plugins(config: Config, selected: set[str], plugins: list[DiscoveredProvider]) -> None:
    """Plugin compliance for installed providers that take part in this run."""
    from omnicloud.discovery import check_plugin

    for found in plugins:
        provider = config.providers.get(found.name)
        if found.name not in selected or provider is None or found.provider is None:
            continue
        if provider.factory != found.provider.factory:  # the configuration overrides it
            continue
        problems = check_plugin(found)
        if problems:
            raise ProviderError(
                f"plugin provider '{found.name}' ({found.value}, from"
                f" {found.distribution or 'an unknown distribution'}): {'; '.join(problems)}",
                hint="see docs/plugins.md for what an installed provider must declare",
            )
