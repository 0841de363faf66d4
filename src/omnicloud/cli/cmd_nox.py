"""``omnicloud nox ...``: nox with the noxfile shipped inside omnicloud.

A repository that holds only ``omnicloud.toml`` and its provider code runs
``omnicloud nox -s certify-kv`` without writing a noxfile.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

NAME = "nox"
HELP = "run nox sessions planned from omnicloud.toml (arguments go to nox)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(_accepts_extra=True)


def run(args: argparse.Namespace) -> int:
    from nox.__main__ import main as nox_main

    from omnicloud.config import find_config

    config = Path(args.config) if args.config else find_config()
    os.environ["OMNICLOUD_CONFIG"] = str(config.resolve())
    if args.env:
        os.environ["OMNICLOUD_ENV"] = args.env
    noxfile = Path(__file__).resolve().parent.parent / "noxfile.py"
    extra = list(args.extra)
    import sys

    # Session environments live next to the configuration, not inside the installed package.
    envdir = (
        []
        if any(a == "--envdir" or a.startswith("--envdir=") for a in extra)
        else ["--envdir", str(config.resolve().parent / ".nox")]
    )
    sys.argv = ["nox", "-f", str(noxfile), *envdir, *extra]
    try:
        nox_main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
