"""Executors: where the shards of a run execute. One module per backend, chosen by name.

An executor runs the N shards of a certification somewhere else (today: a Kubernetes Indexed
Job), collects each shard's JUnit file into ``results_dir`` and merges them with
``omnicloud.merge``. Inside one machine, pytest-xdist does the parallel work instead.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from omnicloud.errors import SelectionError, did_you_mean, one_of

#: name -> "module:class"; modules are imported only when chosen (their clients are extras).
EXECUTORS = {"kubernetes": "omnicloud.executors.kubernetes:KubernetesExecutor"}


class Executor(Protocol):
    """Runs ``command`` as ``shards`` shards and returns the merged result."""

    name: str

    def __init__(self, config: Any) -> None: ...

    def run(self, command: Sequence[str] = (), *, results_dir: Path, run_id: str) -> Any: ...


def executor_class(name: str) -> type[Executor]:
    """The executor class registered as ``name``; an unknown name lists the valid ones."""
    if name not in EXECUTORS:
        raise SelectionError(
            f"unknown executor '{name}'{did_you_mean(name, list(EXECUTORS))}"
            f" (accepted: {one_of(list(EXECUTORS))})"
        )
    module, _, attribute = EXECUTORS[name].partition(":")
    cls: type[Executor] = getattr(importlib.import_module(module), attribute)
    return cls
