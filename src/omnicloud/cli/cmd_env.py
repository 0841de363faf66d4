"""``omnicloud env up|down|prune|status``: services for interactive use, and cleanup.

``up`` starts the environment's services and leaves them running (kept, like ``reuse = true``),
prints their endpoints (secrets hidden) and writes them to a JSON file; export
``OMNICLOUD_ENDPOINTS=<file>`` and every pytest run uses them. ``down`` stops what ``up`` (or a
run with reuse) kept. ``prune`` removes what dead runs left: processes by pid file, containers
and namespaces by label, temporary directories; ``--all`` also stops kept services.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

NAME = "env"
HELP = "start (up), stop (down), list (status) or clean up (prune) service environments"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("up", "down", "status", "prune"))
    parser.add_argument(
        "services",
        nargs="*",
        metavar="SERVICE",
        help="up: only these services (default: every configured service)",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help="up: write endpoints here (default: .omnicloud/endpoints.json next"
        " to the configuration)",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="down: every environment; prune: also stop kept (reused) services",
    )
    parser.add_argument(
        "--any-owner",
        action="store_true",
        help="prune: also containers/namespaces started from other machines or state dirs",
    )
    parser.add_argument(
        "--show-secrets", action="store_true", help="up: print passwords instead of ******"
    )


def run(args: argparse.Namespace) -> int:
    action = {"up": _up, "down": _down, "status": _status, "prune": _prune}[args.action]
    return action(args)


def _up(args: argparse.Namespace) -> int:
    from omnicloud.config import load_config
    from omnicloud.provision.lifecycle import provision
    from omnicloud.provision.progress import Progress

    config = load_config(args.config)
    services = args.services or None
    with provision(
        config, environment=args.env, services=services, keep=True, progress=Progress()
    ) as env:
        endpoints = env.endpoints()
        output = args.output or (
            (config.source.parent if config.source else Path.cwd())
            / ".omnicloud"
            / "endpoints.json"
        )
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(endpoints, indent=2, sort_keys=True), encoding="utf-8")
        lines = (
            [f"{n}: {json.dumps(e, sort_keys=True)}" for n, e in endpoints.items()]
            if args.show_secrets
            else env.describe()
        )
        state = "reused" if env.reused else "started"
        print(f"environment '{env.name}' ({env.provisioner}) {state}, run {env.run_id}:")
        for line in lines:
            print(f"  {line}")
        print(f"endpoints written to {output}\n  export OMNICLOUD_ENDPOINTS={output}")
    return 0


def _down(args: argparse.Namespace) -> int:
    from omnicloud.provision.lifecycle import teardown

    environment = None
    if not args.all:
        from omnicloud.config import load_config
        from omnicloud.provision.lifecycle import pick_environment

        environment, _ = pick_environment(load_config(args.config), args.env)
    stopped = teardown(environment)
    where = "any environment" if environment is None else f"environment '{environment}'"
    print(
        f"stopped {len(stopped)} kept run(s) of {where}"
        + (f": {', '.join(stopped)}" if stopped else "")
    )
    return 0


def _status(args: argparse.Namespace) -> int:
    from omnicloud.provision.base import redact
    from omnicloud.provision.lifecycle import kept_runs

    runs = kept_runs()
    if not runs:
        print("no kept services")
    for _, state in runs:
        print(
            f"run {state['run_id']}: environment '{state['environment']}' ({state['provisioner']})"
        )
        for name, handle in state["handles"].items():
            endpoint = {"host": handle["host"], "port": handle["port"], **handle["fields"]}
            print(f"  {name}: {json.dumps(redact(endpoint), sort_keys=True)}")
    return 0


def _prune(args: argparse.Namespace) -> int:
    from omnicloud.provision.lifecycle import prune

    removed = prune(include_kept=args.all, any_owner=args.any_owner)
    for item in removed:
        if item.kind == "unreachable":
            first = (item.detail.splitlines() or [""])[0]
            print(f"skipped {item.ident} (nothing of it can be pruned from here): {first}")
        else:
            print(f"removed {item.kind} {item.ident} (run {item.run_id})")
    count = sum(1 for item in removed if item.kind != "unreachable")
    print(f"pruned {count} leftover(s)")
    return 0
