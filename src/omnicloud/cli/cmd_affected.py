"""``omnicloud affected``: select providers and tests from the git diff, say why, run them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "affected"
HELP = "select providers and tests that the git diff can reach, explain why, and run them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base",
        default=None,
        metavar="REF",
        help="diff against the merge base with REF (default: CI variables, then project.base_ref)",
    )
    parser.add_argument(
        "--explain", action="store_true", help="every reason, the changed files, notes and timings"
    )
    parser.add_argument("--json", action="store_true", help="print the selection as JSON")
    parser.add_argument(
        "--run",
        action="store_true",
        help="certify exactly the selection (extra arguments go to pytest)",
    )
    parser.add_argument(
        "--python",
        default=None,
        metavar="PATH",
        help="with --run: the project's interpreter for plain tests (default: .venv/bin/python"
        " in the project, else this one)",
    )
    parser.add_argument(
        "--session",
        default=None,
        metavar="NAME",
        help="with --run: run plain tests through the project's nox session NAME (test ids"
        " are passed as posargs)",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="with --run: where JUnit and reports go",
    )
    parser.set_defaults(_accepts_extra=True)


def run(args: argparse.Namespace) -> int:
    # every subcommand module is imported by `omnicloud --help`: load the work lazily
    from omnicloud.affected import certify_selection, compute_selection
    from omnicloud.affected.execute import choose_runner
    from omnicloud.affected.render import render_text, to_json
    from omnicloud.config import load_config
    from omnicloud.errors import ExitCode

    config = load_config(Path(args.config) if args.config else None)
    result = compute_selection(config, base=args.base)
    for warning in result.selection.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(to_json(result), indent=2))
    else:
        print(render_text(result, explain=args.explain), flush=True)
    if result.selection.blind:
        print(
            "error: nothing could be selected: no enabled provider and no affected.test_paths,"
            " so these changes cannot be cleared; set test_paths ('omnicloud init' detects"
            " them) or declare providers",
            file=sys.stderr,
        )
        return int(ExitCode.SELECTION)
    if not args.run:
        return 0
    extra = [a for a in getattr(args, "extra", []) if a != "--"]
    runner = choose_runner(result.project_dir, python=args.python, session=args.session)
    return certify_selection(
        result,
        config_path=config.source,
        pytest_args=extra,
        environment=args.env,
        results_dir=args.results_dir,
        runner=runner,
        source_roots=config.affected.source_roots,
    )
