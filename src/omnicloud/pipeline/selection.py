"""Stage ``select``: the environment, the targets, who sits out, and the strict check."""

from __future__ import annotations

import fnmatch
import os

from omnicloud.config import Config
from omnicloud.errors import SelectionError, did_you_mean, one_of
from omnicloud.pipeline.state import CertifyOptions, RunState
from omnicloud.plan import Selection, plan_targets, skipped_providers


def select(state: RunState) -> int | None:
    assert state.config is not None
    sel = state.options.selection
    origin = "--env"
    if sel.environment is None:
        origin = "OMNICLOUD_ENV" if os.environ.get("OMNICLOUD_ENV") else "default_environment"
        env = os.environ.get("OMNICLOUD_ENV") or state.config.project.default_environment
        sel = Selection(sel.providers, sel.contracts, sel.interfaces, sel.probe, env)
        state.options = CertifyOptions(**{**state.options.__dict__, "selection": sel})
    _check_environment(state.config, sel.environment, origin)
    if state.options.shard:
        from omnicloud.shard.spec import parse_shard

        parse_shard(state.options.shard)  # a bad value is a selection error (exit 3)
    state.targets = plan_targets(state.config, sel)
    state.sat_out = skipped_providers(state.config, sel)
    for name, reason in state.sat_out.items():
        state.console.print(f"note: provider {name} sits out this run: {reason}", highlight=False)
    _check_strict(state)
    if not state.targets:
        wanted = ", ".join((*sel.providers, *sel.contracts, *sel.interfaces)) or "everything"
        raise SelectionError(
            f"no provider in the configuration matches the selection ({wanted})",
            hint="'omnicloud list' shows providers and contracts",
        )
    return None


def _check_environment(config: Config, env: str | None, origin: str) -> None:
    """An environment nobody configured is a selection error, never a run of whatever
    happens to need no environment."""
    if env is None or env in config.environments:
        return
    known = list(config.environments)
    raise SelectionError(
        f"unknown environment '{env}' (from {origin}){did_you_mean(env, known)}"
        f" (accepted: {one_of(known)})",
        hint="environments are the [environments.<name>] tables of the configuration",
    )


def ci_default_strict() -> bool:
    """``certify``'s default: strict when ``CI`` is set (not empty, not 0/false/no)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def is_strict(options: CertifyOptions) -> bool:
    """``--strict`` / ``--no-strict`` as ``certify`` resolved them (other front ends such as
    ``matrix``, which reports what sat out, are not strict unless they say so)."""
    return bool(options.strict)


def _check_strict(state: RunState) -> None:
    """In a strict run every selected provider runs, unless run.allow_sit_out names it."""
    assert state.config is not None
    if not state.sat_out or not is_strict(state.options):
        return
    allowed = state.config.run.allow_sit_out
    refused = {
        name: reason
        for name, reason in state.sat_out.items()
        if not any(fnmatch.fnmatchcase(name, pattern) for pattern in allowed)
    }
    if refused:
        first, reason = next(iter(refused.items()))
        more = (
            f" (and {len(refused) - 1} more: {', '.join(list(refused)[1:])})"
            if len(refused) > 1
            else ""
        )
        raise SelectionError(
            f"provider {first} would sit out this strict run: {reason}{more}",
            hint="choose an environment (--env), or let it sit out with run.allow_sit_out;"
            " --no-strict turns this check off (strict is the default when CI is set)",
        )
