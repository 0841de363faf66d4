"""``omnicloud ci``: generate CI configurations for sharded runs, publish GitHub summaries."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from omnicloud.ci import github, gitlab
from omnicloud.ci.github import DEFAULT_MERGE_COMMAND, DEFAULT_SHARD_COMMAND
from omnicloud.ci.summary import publish_github
from omnicloud.errors import ExitCode, SelectionError

NAME = "ci"
HELP = "generate GitHub Actions / GitLab CI configurations for sharded runs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="ci_target", metavar="TARGET")
    sub.required = True
    for target, text in (
        ("github", "print a GitHub Actions workflow"),
        ("gitlab", "print a .gitlab-ci.yml"),
    ):
        command = sub.add_parser(target, help=text, description=text)
        command.add_argument(
            "--shards", type=int, required=True, metavar="N", help="number of shard jobs"
        )
        command.add_argument("--python", default="3.11", help="Python version (default 3.11)")
        command.add_argument(
            "--install",
            default="pip install open-omni-cloud-tck",
            help="one shell line installing omnicloud and the provider code",
        )
        command.add_argument(
            "--shard-command",
            default=DEFAULT_SHARD_COMMAND,
            help="one shell line per shard; {shard} and {count} are filled in"
            f" (default: {DEFAULT_SHARD_COMMAND!r})",
        )
        command.add_argument(
            "--merge-command",
            default=DEFAULT_MERGE_COMMAND,
            help="one shell line merging the shards; {count} and {inputs} are filled in",
        )
        if target == "github":
            command.add_argument(
                "--matrix-json",
                action="store_true",
                help="print only the matrix JSON, for fromJSON()",
            )
        else:
            command.add_argument("--image", default=None, help="job image (default python:X.Y)")
    summary = sub.add_parser("summary", help="write the GitHub job summary and annotations")
    summary.add_argument("files", nargs="+", type=Path, metavar="FILE")
    summary.add_argument("--expect", type=int, default=None, metavar="N")


def run(args: argparse.Namespace) -> int:
    if args.ci_target == "summary":
        return _summary(args)
    try:
        options = github.CiOptions(
            shards=args.shards,
            python=args.python,
            install=args.install,
            shard_command=args.shard_command,
            merge_command=args.merge_command,
        )
        if args.ci_target == "github":
            text = github.matrix_json(args.shards) if args.matrix_json else github.workflow(options)
        else:
            text = gitlab.pipeline(options, image=args.image)
    except (ValueError, KeyError, IndexError) as exc:
        raise SelectionError(
            f"omnicloud ci {args.ci_target}: {exc}", hint="--shards takes a whole number >= 1"
        ) from None
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return ExitCode.OK


def _summary(args: argparse.Namespace) -> int:
    from omnicloud.merge import merge_junit

    result = merge_junit(args.files, expect=args.expect, root=Path.cwd())
    config = Path(args.config) if getattr(args, "config", None) else None
    publish_github(result, os.environ, config_path=config)
    return ExitCode.OK
