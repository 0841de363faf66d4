"""The ``omnicloud`` command.

Every module ``cmd_<name>.py`` in this package is a subcommand. It exposes ``NAME`` (the command
word), ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``. Every subcommand
also accepts ``--config PATH`` and ``--env NAME`` (``args.config``, ``args.env``) unless it
declares ``COMMON_OPTIONS`` (the subset it uses): an option a command would ignore is a usage
error, not silently dropped.

A command that passes unknown arguments on (``_accepts_extra``) still rejects one that looks like
a misspelling of its own options (``certify --contrct kv``): exit 2, not a run that ignores it.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import pkgutil
import signal
import sys
from collections.abc import Sequence
from types import ModuleType

from omnicloud.errors import ExitCode, OmnicloudError

#: Commands that read neither --config nor --env, or only --config (the rest read both).
_COMMON_OPTIONS: dict[str, tuple[str, ...]] = {
    "schema": (),
    "plugins": (),
    "merge": ("config",),
    "init": (),
    "verify-certificate": ("config",),
    "ci": ("config",),
    "data": ("config",),
    "list": ("config",),
    "traceability": ("config",),
    "triage": ("config",),
    "validate": ("config",),
    "workflow": ("config",),
}


def _commands(wanted: str | None = None) -> list[ModuleType]:
    """The command modules: only ``wanted``'s when it names one (importing all twenty costs
    about half a second of every run), else all of them (help, a misspelled command)."""
    package = sys.modules[__name__]
    names = sorted(
        m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("cmd_")
    )
    own = f"cmd_{wanted.replace('-', '_')}" if wanted else None
    if own in names:
        names = [own]
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given the command line, only its command is imported and added."""
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    words = list(sys.argv[1:] if argv is None else argv)
    wanted = words[0] if words and not words[0].startswith("-") else None
    for module in _commands(wanted):
        uses = getattr(
            module, "COMMON_OPTIONS", _COMMON_OPTIONS.get(module.NAME, ("config", "env"))
        )
        command = sub.add_parser(
            module.NAME,
            help=module.HELP,
            description=module.HELP,
            parents=[_common(uses)],
            allow_abbrev=False,  # '--co' is pytest's --collect-only, not our --config
        )
        module.add_arguments(command)
        command.set_defaults(_run=module.run, _parser=command)
    return parser


def _common(uses: tuple[str, ...]) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    if "config" in uses:
        _add_config(common)
    if "env" in uses:
        _add_env(common)
    return common


def _add_config(common: argparse.ArgumentParser) -> None:
    common.add_argument(
        "-c",
        "--config",
        default=None,
        metavar="PATH",
        help="omnicloud.toml or pyproject.toml (default: found from the"
        " current directory, or $OMNICLOUD_CONFIG)",
    )


def _add_env(common: argparse.ArgumentParser) -> None:
    common.add_argument(
        "--env",
        default=None,
        metavar="NAME",
        help="environment (default: $OMNICLOUD_ENV, project.default_environment)",
    )


def _misspelled_option(command: argparse.ArgumentParser, extra: Sequence[str]) -> str | None:
    """The first pass-through argument (before a bare ``--``) that is close to one of the
    command's own long options: a typo, not an argument meant for pytest or nox."""
    own = [o for a in command._actions for o in a.option_strings if o.startswith("--")]
    for arg in extra:
        if arg == "--":
            return None
        name = arg.split("=", 1)[0]
        if name.startswith("--") and name not in own:
            # Close enough to be a typo of ours (--contrct), not another tool's option that
            # merely looks alike (pytest's --co, --pdb, --lf pass through).
            match = difflib.get_close_matches(name, own, n=1, cutoff=0.8)
            if match:
                return f"unrecognized argument: {arg}; did you mean '{match[0]}'?"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(argv)
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "_accepts_extra", False):
        args._parser.error(f"unrecognized arguments: {' '.join(extra)}")
    typo = _misspelled_option(args._parser, extra) if extra else None
    if typo:
        args._parser.error(typo)
    args.extra = extra
    try:
        return int(args._run(args))
    except OmnicloudError as exc:
        print(_redacted(exc.render(), args), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED


def _redacted(text: str, args: argparse.Namespace) -> str:
    """An error without the configuration's secrets (a failing service's log tail may quote a
    URL with its password). The certify pipeline redacts all of its output itself."""
    if getattr(args, "command", None) == "certify":
        return text
    try:
        from omnicloud.config import load_config
        from omnicloud.pipeline import config_secrets
        from omnicloud.redaction import redact

        return redact(text, config_secrets(load_config(getattr(args, "config", None))))
    except OmnicloudError:  # no readable configuration: it holds no secrets to hide
        return text


def entry() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away ('omnicloud list | head'): stop quietly, as a shell tool does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 128 + signal.SIGPIPE
    sys.exit(code)
