"""Helpers for the test-data tests: build dataset configs the way the loader would."""

from __future__ import annotations

from typing import Any

from omnicloud.config.models import DatasetConfig

USERS = {"id": "uuid", "name": "name", "email": "email", "created_at": "timestamp"}


def datasets(**specs: dict[str, Any]) -> dict[str, DatasetConfig]:
    """``datasets(users={"count": 5, "fields": {...}})`` -> validated ``config.data``."""
    return {name: DatasetConfig.model_validate(spec) for name, spec in specs.items()}


def users(count: int = 50, seed: int = 42, **extra: Any) -> dict[str, DatasetConfig]:
    return datasets(users={"count": count, "seed": seed, "fields": dict(USERS), **extra})
