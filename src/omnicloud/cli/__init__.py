"""The ``omnicloud`` command.

Every module ``cmd_<name>.py`` in this package is a subcommand. It exposes ``NAME`` (the command
word), ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``. Every subcommand
also accepts ``--config PATH`` and ``--env NAME`` (``args.config``, ``args.env``).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from omnicloud.errors import ExitCode, OmnicloudError


def _commands() -> list[ModuleType]:
    package = sys.modules[__name__]
    names = sorted(
        m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("cmd_")
    )
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def build_parser() -> argparse.ArgumentParser:
    from importlib.metadata import PackageNotFoundError, version

    try:
        dist_version = version("open-omni-cloud-tck")
    except PackageNotFoundError:  # running from a source tree
        dist_version = "unknown"
    parser = argparse.ArgumentParser(
        prog="omnicloud",
        description="Certify infrastructure providers against the Open Omni-Cloud contracts.",
    )
    parser.add_argument("--version", action="version", version=f"omnicloud {dist_version}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-c",
        "--config",
        default=None,
        metavar="PATH",
        help="omnicloud.toml or pyproject.toml (default: found from the"
        " current directory, or $OMNICLOUD_CONFIG)",
    )
    common.add_argument(
        "--env",
        default=None,
        metavar="NAME",
        help="environment (default: $OMNICLOUD_ENV, project.default_environment)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _commands():
        command = sub.add_parser(
            module.NAME, help=module.HELP, description=module.HELP, parents=[common]
        )
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "_accepts_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    try:
        return int(args._run(args))
    except OmnicloudError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED


def entry() -> None:
    sys.exit(main())
