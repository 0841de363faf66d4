"""Which providers a performance or fault run takes, and how it opens them.

Shared by ``omnicloud slo`` and ``omnicloud faults``: providers are chosen as ``certify``
chooses them (enabled, allowed in the environment, ``--provider``), services are started by the
environment's provisioner, and each provider is opened with its configured options filled from
those endpoints (or from endpoints a caller rewrote, such as the fault proxy's).
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from omnicloud.adapters.runtime import instantiate
from omnicloud.build import add_import_roots, import_object, unwrap_secrets
from omnicloud.config.models import Config
from omnicloud.endpoints import fill_placeholders
from omnicloud.errors import SelectionError, did_you_mean, one_of
from omnicloud.plan import skip_reason

Creator = Callable[..., Awaitable[Any]]


def select_providers(
    config: Config,
    environment: str | None,
    names: Iterable[str],
    wanted: Callable[[str], bool],
) -> tuple[list[str], dict[str, str]]:
    """``(chosen, skipped with reasons)``: ``wanted(name)`` says whether a provider has
    anything for this run (an interface with a workload, a fault declaration...)."""
    names = list(names)
    for name in names:
        if name not in config.providers:
            known = list(config.providers)
            raise SelectionError(
                f"unknown provider '{name}'{did_you_mean(name, known)} (accepted: {one_of(known)})"
            )
    chosen, skipped = [], {}
    for name, provider in config.providers.items():
        if names and name not in names:
            continue
        if not provider.enabled or (provider.reference and not names):
            continue
        reason = skip_reason(provider, environment)
        if reason is not None:
            skipped[name] = reason
        elif wanted(name):
            chosen.append(name)
        elif names:
            skipped[name] = "nothing to run for it (no workload for its interfaces or contract)"
    return chosen, skipped


def creator(
    config: Config, provider: str, endpoints: Mapping[str, Mapping[str, Any]], **extra: Any
) -> Creator:
    """An async callable opening a new instance of ``provider`` against ``endpoints``."""
    add_import_roots(config)
    spec = config.providers[provider]
    factory = import_object(spec.factory, what=f"providers.{provider}.factory")
    options = fill_placeholders(
        unwrap_secrets(spec.options),
        {k: dict(v) for k, v in endpoints.items()},
        where=f"providers.{provider}.options",
    )

    async def create(**overrides: Any) -> Any:
        return await instantiate(factory, **{**options, **extra, **overrides})

    return create


def results_folder(config: Config, override: Path | None) -> Path:
    folder = override or config.project.results_dir
    if folder.is_absolute():
        return folder
    base = Path.cwd() if override is not None or config.source is None else config.source.parent
    return base / folder


def write_json(path: Path, data: Any) -> Path:
    """Written aside, then renamed: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
