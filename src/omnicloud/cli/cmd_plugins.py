"""``omnicloud plugins``: providers installed packages register, and their compliance."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping

NAME = "plugins"
HELP = "list providers registered by installed packages ('omnicloud.providers' entry points)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check", action="store_true", help="run the plugin compliance check (exit 4 on a problem)"
    )
    parser.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    from omnicloud.discovery import check_plugin, discover
    from omnicloud.errors import ExitCode

    found = discover()
    rows = []
    for item in found:
        problems = check_plugin(item) if args.check else list(item.problems)
        rows.append(
            {
                "name": item.name,
                "entry_point": item.value,
                "distribution": item.distribution,
                "version": item.version,
                "contract": item.provider.contract if item.provider else None,
                "implements": list(item.provider.implements) if item.provider else [],
                "factory": item.provider.factory if item.provider else None,
                "description": item.description,
                "problems": problems,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("no providers registered under the 'omnicloud.providers' entry point group")
    for row in rows if not args.json else []:
        verdict = "ok" if not row["problems"] else "; ".join(row["problems"])
        print(
            f"{row['name']:24} {_claims(row):18} {row['distribution'] or '?'}"
            f" {row['version'] or ''}  {verdict}"
        )
    failing = any(row["problems"] for row in rows)
    return ExitCode.PROVIDER if failing else ExitCode.OK


def _claims(row: Mapping[str, object]) -> str:
    """The contract, or ``N interfaces`` for an interface-only plugin; ``?`` if unreadable."""
    implements = row["implements"]
    if row["contract"]:
        return str(row["contract"])
    return f"{len(implements)} interfaces" if isinstance(implements, list) and implements else "?"
