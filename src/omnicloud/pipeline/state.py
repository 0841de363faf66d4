"""The run's options and state, handed from stage to stage."""

from __future__ import annotations

import secrets as _random
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from omnicloud.config import Config
from omnicloud.discovery import DiscoveredProvider
from omnicloud.plan import Selection, Target
from omnicloud.redaction import Redactor
from omnicloud.results import Results
from omnicloud.runner import TestCounts
from omnicloud.signals import Interrupts

if TYPE_CHECKING:
    from omnicloud.provision.lifecycle import Environment
    from omnicloud.resume import ResumePlan
    from omnicloud.run_folder import RunFolder


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + _random.token_hex(3)


@dataclass(frozen=True)
class CertifyOptions:
    config_path: Path | None = None
    selection: Selection = field(default_factory=Selection)
    pytest_args: tuple[str, ...] = ()
    results_dir: Path | None = None
    workers: int | str | None = None
    shard: str | None = None
    executor: str | None = None
    strict: bool | None = None  # certify: --strict/--no-strict, else strict when CI is set
    resume: bool = False  # run only what the last, interrupted run did not finish


@dataclass
class RunState:
    options: CertifyOptions
    console: Console
    stack: ExitStack = field(default_factory=ExitStack)
    run_id: str = field(default_factory=new_run_id)
    config: Config | None = None
    targets: tuple[Target, ...] = ()
    folder: Path | None = None
    junit: Path | None = None
    pytest_exit: int | None = None
    results: Results | None = None
    plugins: list[DiscoveredProvider] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    sat_out: dict[str, str] = field(default_factory=dict)
    environment: Environment | None = None
    services_down: dict[str, list[str]] = field(default_factory=dict)
    interrupted: int | None = None
    run_folder: RunFolder | None = None
    resume: ResumePlan | None = None
    signals: Interrupts | None = None
    redactor: Redactor = field(default_factory=Redactor)
    triaged: dict[str, dict[str, object]] = field(default_factory=dict)  # test id -> triage

    def was_interrupted(self) -> bool:
        """A signal arrived (even one whose KeyboardInterrupt a library swallowed)."""
        return self.signals is not None and self.signals.received is not None

    counts: TestCounts = field(default_factory=TestCounts)


Stage = Callable[[RunState], "int | None"]
