"""``omnicloud affected``: select providers and tests from the git diff, say why, run them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from omnicloud.config.models import Config

NAME = "affected"
HELP = "select providers and tests that the git diff can reach, explain why, and run them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base",
        default=None,
        metavar="REF",
        help="diff against the merge base with REF (default: CI variables, then"
        " project.base_ref, then origin/HEAD, the default branch or HEAD~1)",
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
        "--map",
        type=Path,
        default=None,
        metavar="PATH",
        help="the per-test map (default: .omnicloud/testmap.json in the project)",
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help="run the plain test suite once, recording which code and data each test uses",
    )
    parser.add_argument(
        "--shadow",
        action="store_true",
        help="run the full suite alongside the selection and record per-change and per-test"
        " recall in .omnicloud/shadow.jsonl",
    )
    parser.add_argument(
        "--stats",
        action="store_true",
        help="print recall and selection ratio over the recorded shadow runs",
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
    project_dir = config.source.parent if config.source else Path.cwd()
    if args.stats:
        from omnicloud.affected.shadow import SHADOW_LOG, read_log, render_stats, stats

        print(render_stats(stats(read_log(project_dir / SHADOW_LOG)), SHADOW_LOG))
        return 0
    extra = [a for a in getattr(args, "extra", []) if a != "--"]
    if args.record:
        return _record(args, config, project_dir, extra)
    result = compute_selection(config, base=args.base, test_map=args.map)
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
    runner = choose_runner(result.project_dir, python=args.python, session=args.session)
    if args.shadow:
        from omnicloud.affected.shadow import render_record, shadow

        code, found = shadow(
            project_dir,
            result.selection,
            runner,
            _test_paths(config),
            config.affected.source_roots,
            pytest_args=extra,
        )
        print(render_record(found))
        return code
    if not args.run:
        return 0
    return certify_selection(
        result,
        config_path=config.source,
        pytest_args=extra,
        environment=args.env,
        results_dir=args.results_dir,
        runner=runner,
        source_roots=config.affected.source_roots,
    )


def _test_paths(config: Config) -> list[str]:
    from omnicloud.errors import ConfigError

    if not config.affected.test_paths:
        raise ConfigError(
            "affected.test_paths is empty: there is no plain test suite to record or shadow",
            hint="list the test folders in [affected] test_paths ('omnicloud init' detects them)",
        )
    return list(config.affected.test_paths)


def _map_path(args: argparse.Namespace, project_dir: Path) -> Path:
    from omnicloud.affected.testmap import DEFAULT_MAP

    path: Path = args.map or DEFAULT_MAP
    return path if path.is_absolute() else project_dir / path


def _record(args: argparse.Namespace, config: Config, project_dir: Path, extra: list[str]) -> int:
    from omnicloud.affected.execute import choose_runner
    from omnicloud.affected.shadow import record

    runner = choose_runner(project_dir, python=args.python, session=args.session)
    return record(
        project_dir,
        runner,
        _test_paths(config),
        _map_path(args, project_dir),
        config.affected.source_roots,
        pytest_args=extra,
    )
