"""``omnicloud certify``: the certify pipeline (what the certify nox sessions call)."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "certify"
HELP = "certify providers against their contract and interface suites"

MAX_WORKERS = 1024  # as run.workers


def _workers(text: str) -> str:
    """'auto' or a whole number 0..MAX_WORKERS (as ``run.workers``), checked before any work."""
    if text == "auto" or (text.isdigit() and int(text) <= MAX_WORKERS):
        return text
    raise argparse.ArgumentTypeError(
        f"invalid value {text!r}: expected 'auto' or a whole number from 0 to {MAX_WORKERS}"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--provider",
        action="append",
        default=[],
        metavar="NAME",
        help="only this provider (repeatable)",
    )
    parser.add_argument(
        "--contract",
        action="append",
        default=[],
        metavar="NAME",
        help="only providers of this contract or alias, e.g. kv (repeatable)",
    )
    parser.add_argument(
        "--interface",
        action="append",
        default=[],
        metavar="NAME",
        help="only this interface suite (repeatable)",
    )
    parser.add_argument(
        "--probe",
        action="store_true",
        help="also run interface suites the providers do not declare",
    )
    parser.add_argument(
        "-n",
        "--workers",
        default=None,
        type=_workers,
        metavar="N",
        help="pytest-xdist workers ('auto', or 0 for none)",
    )
    parser.add_argument(
        "--shard", default=None, metavar="I/N", help="run only shard I of N (duration-balanced)"
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where JUnit and reports go (default: project.results_dir)",
    )
    parser.add_argument(
        "--executor",
        default=None,
        metavar="NAME",
        help="run the shards elsewhere: 'kubernetes' (an Indexed Job from"
        " [executors.kubernetes]) and merge their results here",
    )
    parser.add_argument(
        "--strict",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="fail when a selected provider sits out this run, unless run.allow_sit_out"
        " names it (default: strict when the CI environment variable is set)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="run only the tests the last (interrupted) run in the results folder did not"
        " finish, and merge them with what it finished",
    )
    parser.set_defaults(_accepts_extra=True)


def run(args: argparse.Namespace) -> int:
    from omnicloud.pipeline import CertifyOptions, certify, ci_default_strict
    from omnicloud.plan import Selection

    extra = [a for a in args.extra if a != "--"]
    options = CertifyOptions(
        config_path=Path(args.config) if args.config else None,
        selection=Selection(
            tuple(args.provider), tuple(args.contract), tuple(args.interface), args.probe, args.env
        ),
        pytest_args=tuple(extra),
        results_dir=args.results_dir,
        workers=args.workers,
        shard=args.shard,
        executor=args.executor,
        strict=args.strict if args.strict is not None else ci_default_strict(),
        resume=args.resume,
    )
    return certify(options)
