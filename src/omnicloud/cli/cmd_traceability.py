"""``omnicloud traceability JUNIT...``: requirement coverage from test results."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "traceability"
HELP = "requirement coverage (traceability.json/.md) from JUnit results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "junit", nargs="*", type=Path, help="JUnit files (default: the results folder's junit*.xml)"
    )
    parser.add_argument("--out", type=Path, default=None, help="folder for the reports")


def run(args: argparse.Namespace) -> int:
    from omnicloud.config import load_config
    from omnicloud.results import load_results
    from omnicloud.traceability import build_report, render_markdown, write_report

    config = load_config(args.config)
    assert config.source is not None
    folder = config.project.results_dir
    if not folder.is_absolute():
        folder = config.source.parent / folder
    junit = args.junit or sorted(folder.glob("junit*.xml"))
    results = load_results(junit)
    report = build_report(
        config.traceability.requirement_ids(), results, config.traceability.spec_id
    )
    write_report(report, args.out or folder)
    print(render_markdown(report), end="")
    return 1 if report.uncovered else 0
