"""Dataset fingerprints: what a report or certificate records about the data a run used."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from omnicloud.data.errors import GenerationError
from omnicloud.data.generators import GENERATOR_VERSION
from omnicloud.data.parse import SpecError, iter_refs, parse_schema

if TYPE_CHECKING:
    from omnicloud.config.models import Config, DatasetConfig


def dataset_fingerprint(name: str, config: Config | Mapping[str, DatasetConfig]) -> str:
    """``sha256:<hex>`` over the canonical schema, seed, count, epoch and generator version.

    The schema is the parsed one, so ``"int:18..90"`` and ``{ type = "int", min = 18, max = 90 }``
    fingerprint alike; datasets reached through ``ref`` fields are included, because their
    values end up in this one. Two runs with the same fingerprint used byte-identical data.
    """
    datasets = _datasets(config)
    document = {
        "generator": GENERATOR_VERSION,
        "datasets": {n: _canonical(n, datasets) for n in _closure(name, datasets)},
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()


def dataset_fingerprints(config: Config | Mapping[str, DatasetConfig]) -> dict[str, str]:
    """Every configured dataset's fingerprint, by name (for reports and certificates)."""
    datasets = _datasets(config)
    return {name: dataset_fingerprint(name, datasets) for name in sorted(datasets)}


def _datasets(config: Config | Mapping[str, DatasetConfig]) -> Mapping[str, DatasetConfig]:
    return config if isinstance(config, Mapping) else config.data


def _canonical(name: str, datasets: Mapping[str, DatasetConfig]) -> dict[str, Any]:
    schema = _schema(name, datasets)
    return {
        "count": schema.count,
        "seed": schema.seed,
        "epoch": schema.epoch,
        "fields": [f.canonical() for f in schema.fields],
    }


def _closure(name: str, datasets: Mapping[str, DatasetConfig]) -> list[str]:
    """``name`` and every dataset its references reach."""
    found = [name]
    for current in found:
        for _, ref in iter_refs(_schema(current, datasets).fields):
            if ref.dataset not in found:
                found.append(ref.dataset)
    return sorted(found)


def _schema(name: str, datasets: Mapping[str, DatasetConfig]) -> Any:
    if name not in datasets:
        raise GenerationError(name, None, None, "no such dataset")
    try:
        return parse_schema(name, datasets[name])
    except SpecError as exc:
        key = ".".join(("data", name, *exc.key))
        raise GenerationError(name, None, None, f"{key}: {exc.message}") from None
