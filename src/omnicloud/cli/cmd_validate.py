"""``omnicloud validate``: load and check the configuration, print a one-line summary."""

from __future__ import annotations

import argparse

NAME = "validate"
HELP = "validate omnicloud.toml (exit 2 with file:line:col and key path on error)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--imports",
        action="store_true",
        help="also import every provider factory and check its shape",
    )


def run(args: argparse.Namespace) -> int:
    from omnicloud.config import load_config

    config = load_config(args.config)
    if args.imports:
        from omnicloud.build import build_runtime
        from omnicloud.plan import Selection, plan_targets

        # Every provider, whichever environment it runs in (none sits out a validation).
        seen = set()
        for env in (None, *config.environments):
            for target in plan_targets(config, Selection(environment=env)):
                if target not in seen:
                    seen.add(target)
                    build_runtime(config, target)  # shape, option names, declared interfaces
    print(
        f"{config.source}: valid ({len(config.providers)} providers, {len(config.services)}"
        f" services, {len(config.environments)} environments)"
    )
    return 0
