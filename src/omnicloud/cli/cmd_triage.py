"""``omnicloud triage PATH...``: classify, route and remember the failures of any JUnit files.

Works with or without an ``omnicloud.toml``: without one, the built-in categories and routing
through CODEOWNERS apply. Exit codes: 0 when nothing blocking failed (flakes and skips do not
count) or with ``--exit-zero``, 1 when failures remain, 6 for unreadable or hostile JUnit,
5 when reports or the history cannot be written, 2 for an invalid configuration.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from omnicloud.config.models import Config
    from omnicloud.triage.model import TriageReport

NAME = "triage"
HELP = "classify failures in JUnit files (any tool), route them to owners, track history"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="JUnit XML files or directories holding them (default: the results folder)",
    )
    parser.add_argument("--json", action="store_true", help="print the JSON report on stdout")
    parser.add_argument(
        "--markdown",
        type=Path,
        metavar="DIR",
        default=None,
        help="also write triage.md and one Markdown file per owner into DIR",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where triage/ is written (default: project.results_dir)",
    )
    parser.add_argument(
        "--history",
        type=Path,
        default=None,
        metavar="PATH",
        help="SQLite history file (default: failures.history)",
    )
    parser.add_argument("--no-history", action="store_true", help="do not read or record history")
    parser.add_argument(
        "--no-sinks", action="store_true", help="do not send to GitHub or the webhook"
    )
    parser.add_argument("--include-skipped", action="store_true", help="classify skipped tests too")
    parser.add_argument("--run-id", default=None, help="identifier of this run in the history")
    parser.add_argument(
        "--max-junit-bytes",
        type=int,
        default=None,
        metavar="N",
        help="refuse JUnit files larger than this (default: 256 MiB)",
    )
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when failures remain")


def _config(path: str | None) -> Config | None:
    from omnicloud.config import find_config, load_config
    from omnicloud.errors import ConfigError

    if path is not None:
        return load_config(path)
    try:
        found = find_config()
    except ConfigError:
        return None  # any JUnit, no configuration: built-in categories
    return load_config(found)


def default_junit(results_dir: Path) -> list[Path]:
    """The last run's JUnit in the results folder: the merged file, else the run's, else shards."""
    from omnicloud.errors import ResultsError

    for name in ("junit-merged.xml", "junit.xml"):
        if (results_dir / name).is_file():
            return [results_dir / name]
    shards = sorted(results_dir.glob("junit-shard-*.xml"))
    if shards:
        return shards
    raise ResultsError(
        f"no JUnit files given and none in the results folder {results_dir}",
        hint="run a certify session first, or pass the JUnit files: omnicloud triage PATH...",
    )


def run(args: argparse.Namespace) -> int:
    from omnicloud.results import MAX_JUNIT_BYTES
    from omnicloud.triage.render import render_json
    from omnicloud.triage.run import triage_exit_code, triage_results
    from omnicloud.triage.sinks import write_local

    config = _config(args.config)
    root = config.source.parent if config and config.source else Path.cwd()
    results_dir = args.results_dir or (
        root / config.project.results_dir if config else Path("omnicloud-results")
    )
    paths = args.paths or default_junit(results_dir)
    report = triage_results(
        config,
        paths,
        results_dir,
        run_id=args.run_id,
        root=root,
        history_path=args.history,
        use_history=not args.no_history,
        use_sinks=not args.no_sinks,
        include_skipped=args.include_skipped,
        max_junit_bytes=args.max_junit_bytes or MAX_JUNIT_BYTES,
    )
    if args.markdown is not None:
        write_local(report, args.markdown)
    if args.json:
        sys.stdout.write(render_json(report))
    else:
        _summary(report)
    for anomaly in report.anomalies:
        print(f"warning: {anomaly}", file=sys.stderr)
    for error in report.sink_errors:
        print(f"warning: {error} (the report is in {results_dir / 'triage'})", file=sys.stderr)
    return 0 if args.exit_zero else triage_exit_code(report)


def _summary(report: TriageReport) -> None:
    print(
        f"triage of run {report.run_id}: {len(report.failures)} failure(s), {report.passed} passed"
    )
    for owner, items in report.by_owner().items():
        print(f"  {owner}: {len(items)}")
        for item in items:
            evidence = " ".join(item.evidence_text.split())[:60]
            print(
                f"    [{item.category}] {item.failure.test_id} ({item.history})"
                + (f" - {evidence}" if evidence else "")
            )
    for fixed in report.fixed:
        print(f"  fixed: {fixed.test_id}")
    if report.written:
        print(f"reports: {Path(report.written[0]).parent}")
