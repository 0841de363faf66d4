"""``omnicloud slo``: measure providers against their SLO profiles and write the verdicts.

Starts the services of the chosen environment (``--env``, ``$OMNICLOUD_ENV``), measures every
selected provider's interfaces that have a workload (``keyvalue_basic``, ``queue_basic``,
``stream_basic``) with open-loop latency and closed-loop throughput trials, and writes
``slo.json`` into the results folder (read by ``omnicloud matrix`` and the certificates). Exit
code 1 when a target is missed or a regression against ``--baseline`` is found, 4 when a provider
could not be measured, 7 when nothing failed but a verdict is inconclusive (``--allow-inconclusive``
turns that into 0: the verdicts are still printed and recorded as INCONCLUSIVE, never as pass).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omnicloud.config.models import Config
    from omnicloud.slo.runner import Settings

NAME = "slo"
HELP = "measure providers against their SLO profiles (latency, throughput): pass/fail/inconclusive"
FULL_TRIALS, FULL_DURATION = 10, 5.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--provider", action="append", default=[], metavar="NAME", help="only this provider"
    )
    parser.add_argument(
        "--interface", action="append", default=[], metavar="NAME", help="only this interface"
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help=f"the long profile: {FULL_TRIALS} trials of {FULL_DURATION:g}s (default: [slo])",
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="the profile of providers that declare no `slo` (default: slo.profile), e.g. rfc015",
    )
    parser.add_argument("--baseline", type=Path, metavar="PATH", help="compare with a baseline")
    parser.add_argument("--save-baseline", type=Path, metavar="PATH", help="store a baseline")
    parser.add_argument("--results-dir", type=Path, metavar="DIR")
    parser.add_argument(
        "--allow-inconclusive",
        action="store_true",
        help="exit 0 instead of 7 when nothing failed but some verdicts are inconclusive"
        " (they are still reported as INCONCLUSIVE)",
    )


def _settings(config: Config, full: bool) -> Settings:
    from omnicloud.slo.runner import Settings

    slo = config.slo
    if full:
        return Settings(
            max(slo.trials, FULL_TRIALS),
            max(slo.duration, FULL_DURATION),
            max(slo.warmup, 1.0),
            slo.confidence,
        )
    return Settings(slo.trials, slo.duration, slo.warmup, slo.confidence)


def _require_hdr() -> None:
    from omnicloud.errors import InfrastructureError

    try:
        import hdrh.histogram  # noqa: F401 - only checking it is installed
    except ImportError:
        raise InfrastructureError(
            "omnicloud slo needs the HdrHistogram package",
            hint="pip install 'open-omni-cloud-tck[slo]'",
        ) from None


def run(args: argparse.Namespace) -> int:
    from omnicloud.config import load_config
    from omnicloud.provision.lifecycle import pick_environment, provision, services_for
    from omnicloud.slo import machine
    from omnicloud.slo.targets import results_folder, select_providers

    _require_hdr()
    config = _with_profile(load_config(args.config), args.profile)
    env_name = args.env or os.environ.get("OMNICLOUD_ENV") or config.project.default_environment
    environment = pick_environment(config, env_name)[0] if env_name else None
    chosen, skipped = select_providers(
        config,
        environment,
        args.provider or config.slo.providers or [],
        lambda n: bool(_interfaces(config, n, args.interface)),
    )
    settings = _settings(config, args.full)
    description = machine.describe()
    with provision(config, environment=environment, services=services_for(config, chosen)) as env:
        records = asyncio.run(_measure_all(config, chosen, env.endpoints(), settings, args))
    report = _report(records, description, settings, environment, skipped)
    return _finish(config, report, args, results_folder(config, args.results_dir))


def _with_profile(config: Config, profile: str | None) -> Config:
    from omnicloud.config.models import BUILTIN_SLO_PROFILES
    from omnicloud.errors import ConfigError, did_you_mean, one_of

    if profile is None:
        return config
    known = [*BUILTIN_SLO_PROFILES, *config.slo.profiles]
    if profile not in known:
        raise ConfigError(
            f"--profile: unknown SLO profile '{profile}'{did_you_mean(profile, known)}"
            f" (accepted: {one_of(known)})"
        )
    return config.model_copy(update={"slo": config.slo.model_copy(update={"profile": profile})})


def _interfaces(config: Config, provider: str, only: list[str]) -> list[str]:
    from omnicloud.slo.workloads import WORKLOADS

    claimed = config.providers[provider].implements
    return [i for i in claimed if i in WORKLOADS and (not only or i in only)]


async def _measure_all(
    config: Config,
    providers: list[str],
    endpoints: dict[str, dict[str, Any]],
    settings: Settings,
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    from omnicloud.slo.measure import runner_cost_ns
    from omnicloud.slo.profiles import resolve_slo
    from omnicloud.slo.runner import error_record, measure, record
    from omnicloud.slo.targets import creator

    cost = await runner_cost_ns()
    records = []
    for provider in providers:
        create = creator(config, provider, endpoints)
        for interface in _interfaces(config, provider, args.interface):
            slo = resolve_slo(config, provider, interface)
            try:
                measured = await measure(create, slo, settings, runner_cost_ns=cost)
            except Exception as exc:  # the provider could not be measured: no verdict
                records.append(error_record(slo, exc))
            else:
                records.append(record(measured, settings.confidence))
            print(f"measured {provider} / {interface}: {records[-1]['outcome']}", flush=True)
    return records


def _report(
    records: list[dict[str, Any]],
    description: dict[str, Any],
    settings: Settings,
    environment: str | None,
    skipped: dict[str, str],
) -> dict[str, Any]:
    from dataclasses import asdict

    from omnicloud.pipeline import new_run_id
    from omnicloud.slo.machine import busy_note
    from omnicloud.slo.report import build_report

    report = build_report(
        records,
        machine=description,
        settings=asdict(settings),
        meta={
            "run_id": os.environ.get("OMNICLOUD_RUN_ID") or new_run_id(),
            "environment": environment or "embedded only",
        },
        skipped=skipped,
    )
    note = busy_note(description)
    if note:
        report["note"] = note
    return report


def _finish(config: Config, report: dict[str, Any], args: argparse.Namespace, folder: Path) -> int:
    from omnicloud.errors import ExitCode
    from omnicloud.slo.baseline import compare, load_baseline, regressions, save_baseline
    from omnicloud.slo.report import FILE, headline, render_lines
    from omnicloud.slo.targets import write_json

    if args.baseline:
        report["baseline"] = compare(report, load_baseline(args.baseline), config.slo.tolerance)
    path = write_json(folder / FILE, report)
    if args.save_baseline:
        save_baseline(args.save_baseline, report)
    for line in render_lines(report):
        print(line)
    found = regressions(report.get("baseline", {}))
    for change in found:
        print(
            f"  REGRESSION {change['target']} {change['metric']}: {change['change']:+.0%}"
            " against the baseline, beyond its noise"
        )
    if report.get("baseline") and not report["baseline"]["comparable"]:
        print(f"  baseline not compared: {report['baseline']['reason']}")
    print(f"{headline(report)}; verdicts in {path}")
    outcomes = {r["outcome"] for r in report["records"]}
    if not outcomes:  # nothing measured is no verdict, never a green one
        print("nothing was measured: no selected provider has an interface with a workload")
        return int(ExitCode.SELECTION)
    return _exit_code(outcomes, regressed=bool(found), allow_inconclusive=args.allow_inconclusive)


def _exit_code(outcomes: set[str], *, regressed: bool, allow_inconclusive: bool) -> int:
    """Failures first, then providers that could not be measured, then inconclusive verdicts
    (their own code, 7, so CI can tell noise from a missed target)."""
    from omnicloud.errors import ExitCode

    if "fail" in outcomes or regressed:
        return int(ExitCode.VIOLATIONS)
    if "error" in outcomes:
        return int(ExitCode.PROVIDER)
    if "inconclusive" not in outcomes:
        return int(ExitCode.OK)
    if allow_inconclusive:
        print("inconclusive verdicts accepted (--allow-inconclusive): exit 0, not a pass")
        return int(ExitCode.OK)
    print("no verdict either way for some targets: exit 7 (--allow-inconclusive accepts them)")
    return int(ExitCode.INCONCLUSIVE)
