"""``omnicloud faults``: certify providers under faults and write the verdicts.

Starts the environment's services (``--env``), puts a fault proxy between each selected
provider and its services, and runs the fault profiles (``[faults].profiles``, a provider's own
``faults.profiles``, or ``--profile``): crash and restart, hang, slow network, connection
resets, partition. Each run records every operation and checks the invariants on that history
against what the provider declared (``faults = { durable, timeout, recovery }``). Writes
``faults.json`` into the results folder (read by ``omnicloud matrix`` and the certificates);
exit code 1 when an invariant is violated.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omnicloud.config.models import Config

NAME = "faults"
HELP = "certify providers under faults (crash, hang, slow network, resets, partition)"
FULL_DURATION = 5.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--provider", action="append", default=[], metavar="NAME", help="only this provider"
    )
    parser.add_argument(
        "--profile", action="append", default=[], metavar="NAME", help="only this fault profile"
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help=f"every built-in profile, each fault lasting {FULL_DURATION:g}s",
    )
    parser.add_argument("--results-dir", type=Path, metavar="DIR")


def _full(config: Config) -> Config:
    from omnicloud.config.models import BUILTIN_FAULT_PROFILES

    faults = config.faults.model_copy(
        update={
            "profiles": [*BUILTIN_FAULT_PROFILES, *config.faults.custom],
            "duration": max(config.faults.duration, FULL_DURATION),
        }
    )
    return config.model_copy(update={"faults": faults})


def _check_profiles(config: Config, names: list[str]) -> None:
    from omnicloud.errors import ConfigError, did_you_mean, one_of

    known = config.faults.known_profiles()
    for name in names:
        if name not in known:
            raise ConfigError(
                f"--profile: unknown fault profile '{name}'{did_you_mean(name, known)}"
                f" (accepted: {one_of(known)})"
            )


def run(args: argparse.Namespace) -> int:
    from omnicloud.config import load_config
    from omnicloud.errors import SelectionError
    from omnicloud.faults.scenarios import family_of
    from omnicloud.provision.lifecycle import pick_environment, provision, services_for
    from omnicloud.slo.targets import results_folder, select_providers

    config = load_config(args.config)
    config = _full(config) if args.full else config
    _check_profiles(config, args.profile)
    env_name = args.env or os.environ.get("OMNICLOUD_ENV") or config.project.default_environment
    if not env_name:
        raise SelectionError(
            "faults need services: choose an environment",
            hint="--env NAME, OMNICLOUD_ENV or project.default_environment",
        )
    environment, env_config = pick_environment(config, env_name)

    def wanted(name: str) -> bool:
        provider = config.providers[name]
        return provider.faults.enabled and bool(provider.services) and bool(family_of(provider))

    names = args.provider or config.faults.providers or []
    chosen, skipped = select_providers(config, environment, names, wanted)
    with provision(config, environment=environment, services=services_for(config, chosen)) as env:
        records, not_run = asyncio.run(_run(config, env, chosen, args.profile))
    report = _report(records, environment, skipped, env_config.provisioner)
    report["not_run"] = not_run
    return _finish(report, results_folder(config, args.results_dir))


async def _run(
    config: Config, env: Any, chosen: list[str], only: list[str]
) -> tuple[list[Any], dict[str, str]]:
    from omnicloud.faults.run import fault_targets, run_targets

    with fault_targets(config, env, chosen) as targets:
        return await run_targets(config, targets, only, echo=lambda line: print(line, flush=True))


def _report(
    records: list[Any], environment: str, skipped: dict[str, str], provisioner: str
) -> dict[str, Any]:
    from omnicloud.faults.report import build_report
    from omnicloud.pipeline import new_run_id
    from omnicloud.slo.machine import describe

    meta = {
        "run_id": os.environ.get("OMNICLOUD_RUN_ID") or new_run_id(),
        "environment": environment,
        "machine": describe(),
    }
    return build_report(records, meta=meta, skipped=skipped, provisioner=provisioner)


def _finish(report: dict[str, Any], folder: Path) -> int:
    from omnicloud.errors import ExitCode
    from omnicloud.faults.report import FILE, headline, render_lines
    from omnicloud.slo.targets import write_json

    path = write_json(folder / FILE, report)
    for line in render_lines(report):
        print(line)
    print(f"{headline(report)}; verdicts in {path}")
    outcomes = {r["outcome"] for r in report["records"]}
    if not outcomes:  # nothing faulted is no verdict, never a green one
        print("nothing was run: no selected provider has a fault workload and a service")
        return int(ExitCode.SELECTION)
    if "fail" in outcomes:
        return int(ExitCode.VIOLATIONS)
    return int(ExitCode.INFRASTRUCTURE) if "error" in outcomes else 0
