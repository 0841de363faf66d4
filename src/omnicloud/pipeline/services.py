"""Stages ``provision`` and ``check_services``: the services the run needs, and whether
they survived it."""

from __future__ import annotations

from omnicloud.pipeline.state import RunState


def provision(state: RunState) -> int | None:
    """Start the services the selected providers need (torn down when the run ends)."""
    from omnicloud.provision.lifecycle import services_for_run

    assert state.config is not None
    if state.options.executor:
        return None  # the executor's pods reach their own services
    providers = {t.provider for t in state.targets}
    state.environment = state.stack.enter_context(
        services_for_run(state.config, providers, environment=state.options.selection.environment)
    )
    if state.environment is not None:
        from omnicloud.provision.kinds import published_credentials
        from omnicloud.redaction import secrets_in

        # A password the configuration sets is added from the configuration itself; the
        # recipes' published defaults (``omnicloud``) are no secret.
        public = published_credentials()
        found = secrets_in(state.environment.endpoints())
        state.redactor.add(s for s in found if s not in public)
    return None


def check_services(state: RunState) -> int | None:
    """After the tests: a service that died during the run (crashed, or stopped by ``env
    down`` from another shell) makes its providers' results an infrastructure failure."""
    from omnicloud.provision.lifecycle import dead_services, services_for

    if state.environment is None or state.config is None:
        return None
    dead = dead_services(state.config, state.environment)
    for service in dead:
        users = sorted(
            {
                t.provider
                for t in state.targets
                if service in services_for(state.config, [t.provider])
            }
        )
        state.services_down[service] = users
    return None
