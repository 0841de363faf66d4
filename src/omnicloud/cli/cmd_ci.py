"""``omnicloud ci``: generate CI configurations for sharded runs, publish GitHub summaries."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from omnicloud.ci import github, gitlab
from omnicloud.ci.github import DEFAULT_MERGE_COMMAND, DEFAULT_SHARD_COMMAND
from omnicloud.ci.setup import JobSetup, job_setup
from omnicloud.ci.summary import publish_github
from omnicloud.config.models import Config
from omnicloud.errors import ConfigError, ExitCode, SelectionError, did_you_mean

NAME = "ci"
HELP = "generate GitHub Actions / GitLab CI configurations for sharded runs"
COMMON_OPTIONS = ("config", "env")


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
        command.add_argument("--python", default="3.12", help="Python version (default 3.12)")
        command.add_argument(
            "--install",
            default=None,
            help="one shell line installing omnicloud and the provider code (default: the"
            " project itself, editable, and the tool from its repository with the configured"
            " extras)",
        )
        command.add_argument(
            "--env",
            dest="target_env",
            default=None,
            metavar="NAME",
            help="environment whose servers the jobs install; sets OMNICLOUD_ENV",
        )
        command.add_argument("-c", "--config", dest="target_config", default=None, metavar="PATH")
        command.add_argument(
            "--branch", default=None, help="branch whose pushes run (default: the base_ref's)"
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
    args.env = getattr(args, "target_env", None) or args.env
    args.config = getattr(args, "target_config", None) or args.config
    config = _config(args)
    try:
        options = github.CiOptions(
            shards=args.shards,
            python=args.python,
            setup=_setup(args, config),
            shard_command=args.shard_command,
            merge_command=args.merge_command,
            branch=args.branch or _branch(config),
            cache_files=_cache_files(Path.cwd()),
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


def _config(args: argparse.Namespace) -> Config | None:
    """The configuration when there is one (a bare repository gets the tool alone)."""
    from omnicloud.config import load_config
    from omnicloud.config.find import find_config

    if args.config is None:
        try:
            find_config(Path.cwd())
        except ConfigError:
            return None
    return load_config(args.config)


def _setup(args: argparse.Namespace, config: Config | None) -> JobSetup:
    environment = args.env
    if config is not None and environment is not None and environment not in config.environments:
        raise SelectionError(
            f"--env: unknown environment '{environment}'"
            f"{did_you_mean(environment, list(config.environments))}",
            hint=f"one of: {', '.join(sorted(config.environments)) or '(none configured)'}",
        )
    root = Path.cwd()
    has_project = any((root / name).is_file() for name in ("pyproject.toml", "setup.py"))
    return job_setup(config, environment=environment, has_project=has_project, install=args.install)


def _branch(config: Config | None) -> str:
    base = config.project.base_ref if config is not None else "main"
    return base.removeprefix("origin/") or "main"


def _cache_files(root: Path) -> tuple[str, ...]:
    names = ("pyproject.toml", "requirements.txt", "omnicloud.toml")
    return tuple(n for n in names if (root / n).is_file()) or ("omnicloud.toml",)


def _summary(args: argparse.Namespace) -> int:
    from omnicloud.merge import merge_junit

    result = merge_junit(args.files, expect=args.expect, root=Path.cwd())
    config = Path(args.config) if getattr(args, "config", None) else None
    publish_github(result, os.environ, config_path=config)
    return ExitCode.OK
