"""``omnicloud list``: providers, contracts and nox sessions of the configuration."""

from __future__ import annotations

import argparse
import json
from typing import Any

NAME = "list"
HELP = "list providers, contracts and sessions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "what", nargs="?", choices=("providers", "contracts", "sessions", "all"), default="all"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from omnicloud.config import load_config
    from omnicloud.contracts import CONTRACTS
    from omnicloud.plan import plan_sessions

    config = load_config(args.config)
    data: dict[str, dict[str, Any]] = {
        "providers": {
            n: {
                "contract": p.contract,
                "factory": p.factory,
                "implements": p.implements,
                "policies": p.policies,
                "services": p.services,
            }
            for n, p in config.providers.items()
        },
        "contracts": {
            n: {"alias": s.alias, "kind": s.kind, "suite": s.suite}
            for n, s in sorted(CONTRACTS.items())
        },
        "sessions": {s.name: s.description for s in plan_sessions(config)},
    }
    if args.what != "all":
        data = {args.what: data[args.what]}
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for section, items in data.items():
        print(f"{section}:")
        for name, value in items.items():
            detail = (
                value
                if isinstance(value, str)
                else ", ".join(f"{k}={v}" for k, v in value.items() if v)
            )
            print(f"  {name:28} {detail}")
    return 0
