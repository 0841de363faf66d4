"""``omnicloud merge``: combine shard JUnit files, update durations, list failed tests."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnicloud.ci.summary import publish_github
from omnicloud.config import find_config, load_config
from omnicloud.errors import ConfigError, ExitCode, ResultsError
from omnicloud.shard.durations import DEFAULT_PATH, update_durations

if TYPE_CHECKING:
    from omnicloud.merge import MergeResult

NAME = "merge"
HELP = "merge shard JUnit files: check shards, update durations, list failed tests"

DEFAULT_OUTPUT = "junit-merged.xml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="shard JUnit files, or folders holding them (every *.xml below)",
    )
    parser.add_argument(
        "--expect",
        type=int,
        metavar="N",
        default=None,
        help="number of shards that must be present (default: as recorded in"
        " the files' omnicloud.shard property)",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help=f"merged JUnit file (default: <results_dir>/{DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--durations",
        type=Path,
        default=None,
        help="durations store to update (default: config run.durations)",
    )
    parser.add_argument(
        "--no-durations", action="store_true", help="do not update the durations store"
    )
    parser.add_argument(
        "--failed-ids",
        metavar="FILE",
        default=None,
        help="write the node ids of failed tests, one per line ('-' for stdout);"
        " re-run them with: pytest --shard off @FILE",
    )
    parser.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="write the merged file even when shards are missing or duplicated",
    )


def run(args: argparse.Namespace) -> int:
    from omnicloud.merge import merge_junit, write_merged

    config = _config(getattr(args, "config", None))
    if args.expect is not None and args.expect < 1:
        raise ResultsError(f"--expect: invalid value {args.expect}: must be at least 1")
    result = merge_junit(_expand(args.files), expect=args.expect, root=Path.cwd())
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    problems = result.problems
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems and not args.allow_incomplete:
        print(
            "  hint: nothing written; re-run the missing shards, or pass --allow-incomplete",
            file=sys.stderr,
        )
        return ExitCode.RESULTS
    output = args.output or _results_dir(config) / DEFAULT_OUTPUT
    write_merged(result, output)
    if not args.no_durations:
        update_durations(args.durations or _durations_path(config), result.durations)
    if args.failed_ids is not None:
        _write_ids(args.failed_ids, result.failed_nodeids)
    _report(result, output, config)
    _print_summary(result, output)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        publish_github(result, os.environ, config_path=_config_path(config))
    if problems:
        return ExitCode.RESULTS
    return ExitCode.VIOLATIONS if result.failed_nodeids else ExitCode.OK


def _report(result: MergeResult, output: Path, config: Any) -> None:
    """The same compliance table and report.json / report.md as a single run, next to the
    merged JUnit."""
    # Imported here: rich and the report modules are not needed by `omnicloud --help`.
    from omnicloud.console import make_console
    from omnicloud.report.documents import write_documents
    from omnicloud.report.terminal import render_table
    from omnicloud.results import load_results

    results = load_results([output])
    render_table(results, make_console(stderr=True), title="Compliance (merged shards)")
    meta = {
        "project": config.project.name if config is not None else "",
        "junit": str(output),
        "shards": [str(f.path) for f in result.files],
        "expected_shards": result.expected,
    }
    secrets = config.secret_values() if config is not None else []
    write_documents(results, meta, output.parent, secrets)


def _config_path(config: Any) -> Path | None:
    return Path(config.source) if config is not None and config.source else None


def _expand(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        out.extend(sorted(path.rglob("*.xml")) if path.is_dir() else [path])
    return out


def _config(path: str | None) -> Any:
    """The configuration when one is given or found; merge also works without one."""
    if path is not None:
        return load_config(path)
    try:
        found = find_config()
    except ConfigError:
        return None
    return load_config(found)


def _base(config: Any) -> Path:
    return Path(config.source).parent if config is not None and config.source else Path.cwd()


def _results_dir(config: Any) -> Path:
    if config is None:
        return Path("omnicloud-results")
    folder = Path(config.project.results_dir)
    return folder if folder.is_absolute() else _base(config) / folder


def _durations_path(config: Any) -> Path:
    if config is None:
        return DEFAULT_PATH
    path = Path(config.run.durations)
    return path if path.is_absolute() else _base(config) / path


def _write_ids(target: str, ids: tuple[str, ...]) -> None:
    text = "".join(f"{i}\n" for i in ids)
    if target == "-":
        sys.stdout.write(text)
        return
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text(text, encoding="utf-8")


def _print_summary(result: Any, output: Path) -> None:
    counts = result.counts
    out = sys.stderr
    for f in result.files:
        print(
            f"  {f.shard or '-'!s:>7}  {f.tests:5d} tests  {f.failed:4d} failed  {f.time:8.1f}s"
            f"  {f.path}",
            file=out,
        )
    times = [f.time for f in result.files if f.time > 0]
    balance = (
        f", slowest shard / mean {max(times) / (sum(times) / len(times)):.2f}" if times else ""
    )
    print(
        f"merged {len(result.files)} file(s): {sum(counts.values())} tests, {counts['passed']}"
        f" passed, {counts['failed']} failed, {counts['error']} errors, {counts['skipped']}"
        f" skipped{balance} -> {output}",
        file=out,
    )
