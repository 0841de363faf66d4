"""``embedded``: no services at all; providers run in-process (memory, SQLite)."""

from __future__ import annotations

from omnicloud.provision.base import Leftover, RunContext, ServiceHandle, ServiceSpec
from omnicloud.provision.ready import ProvisionFailed


class EmbeddedProvisioner:
    """The default environment: nothing to start, nothing to clean up."""

    name = "embedded"
    reusable = True
    port_forward = False
    prunable = False
    environment_keys: tuple[str, ...] = ()

    def start(self, spec: ServiceSpec, run: RunContext) -> ServiceHandle:
        raise ProvisionFailed(
            f"service '{spec.name}' is needed, but environment '{run.environment}' uses the"
            " 'embedded' provisioner, which starts no services",
            hint=f"set environments.{run.environment}.provisioner to 'process', 'docker',"
            " 'kubernetes' or 'external', or pick another environment with --env",
        )

    def stop(self, handle: ServiceHandle) -> None:
        return None

    def alive(self, handle: ServiceHandle) -> bool:
        return True

    def leftovers(self, live_runs: set[str], owner: str | None) -> list[Leftover]:
        return []

    def remove(self, leftover: Leftover) -> None:
        return None
