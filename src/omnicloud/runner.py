"""The run stage: build pytest's argv for a selection and run pytest in this process."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from omnicloud.config.models import Config
from omnicloud.plan import Selection

#: pytest exit codes -> what they mean for a certification run
PYTEST_OK, PYTEST_FAILED, PYTEST_INTERRUPTED, PYTEST_INTERNAL, PYTEST_USAGE, PYTEST_NO_TESTS = (
    0,
    1,
    2,
    3,
    4,
    5,
)


@dataclass(frozen=True)
class RunRequest:
    config_path: Path
    selection: Selection
    junit: Path
    workers: int | str = 0
    dist: str = "loadscope"
    shard: str | None = None
    pytest_args: tuple[str, ...] = ()


def pytest_argv(request: RunRequest) -> list[str]:
    """The pytest command line (without the program name) for a run request."""
    sel = request.selection
    argv = [
        str(request.config_path),
        f"--omnicloud-config={request.config_path}",
        f"--junitxml={request.junit}",
        "-o",
        "junit_family=xunit1",
        "-o",
        "junit_logging=all",
        "-p",
        "no:cacheprovider",
        # omnicloud and provider modules are already imported in this process (the checks ran
        # before pytest started); that they cannot be assertion-rewritten is expected.
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]
    argv += [f"--omnicloud-provider={p}" for p in sel.providers]
    argv += [f"--omnicloud-contract={c}" for c in sel.contracts]
    argv += [f"--omnicloud-interface={i}" for i in sel.interfaces]
    if sel.probe:
        argv.append("--omnicloud-probe")
    if sel.environment:
        argv.append(f"--omnicloud-env={sel.environment}")
    if request.workers not in (0, "0"):
        argv += ["-n", str(request.workers), f"--dist={request.dist}"]
    if request.shard:
        argv.append(f"--shard={request.shard}")
    argv += list(request.pytest_args)
    return argv


def workers_for(config: Config, override: int | str | None) -> int | str:
    value = override if override is not None else config.run.workers
    return value if value == "auto" else int(value)


def run_pytest(argv: Sequence[str]) -> int:
    """Run pytest in this process (no second interpreter start-up: see bench/overhead.py)."""
    import pytest

    os.environ.setdefault("PYTHONHASHSEED", "0")
    return int(pytest.main(list(argv)))
