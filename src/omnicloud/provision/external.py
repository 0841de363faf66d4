"""``external``: services that already run elsewhere, named by URL in config or environment.

The URL comes from ``environments.<env>.endpoints.<service>`` or ``services.<service>.endpoint``
(both may use ``${VAR}``), or from ``$OMNICLOUD_<SERVICE>_URL``. Nothing is started or stopped;
readiness is still checked so a wrong URL fails before any test runs.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote, urlsplit

from omnicloud.provision.base import Leftover, RunContext, ServiceHandle, ServiceSpec
from omnicloud.provision.ready import Deadline, ProvisionFailed, ReadyTarget, checks_for, wait_ready


def url_env_var(service: str) -> str:
    return f"OMNICLOUD_{service.upper().replace('-', '_')}_URL"


def parse_endpoint(url: str, default_port: int) -> dict[str, Any]:
    """Host, port and credentials from a URL such as ``postgresql://u:p@db:5432/app``."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"no host in {url!r}")
    fields: dict[str, Any] = {
        "host": parts.hostname,
        "port": parts.port or default_port,
        "url": url,
    }
    if parts.username:
        fields["user"] = unquote(parts.username)
    if parts.password:
        fields["password"] = unquote(parts.password)
    path = parts.path.lstrip("/")
    if path:
        fields["db" if parts.scheme.startswith("redis") else "database"] = (
            int(path) if path.isdigit() else path
        )
    return fields


class ExternalProvisioner:
    """Uses endpoints that exist already; checks they answer, never stops them."""

    name = "external"
    reusable = True
    port_forward = False
    prunable = False
    environment_keys: tuple[str, ...] = ()

    def start(self, spec: ServiceSpec, run: RunContext) -> ServiceHandle:
        url = spec.endpoint or os.environ.get(url_env_var(spec.name))
        if not url:
            raise ProvisionFailed(
                f"service '{spec.name}' has no endpoint in environment '{run.environment}'",
                hint=f"set environments.{run.environment}.endpoints.{spec.name} = 'scheme://...'"
                f" or export {url_env_var(spec.name)}",
            )
        try:
            fields = parse_endpoint(url, spec.port)
        except ValueError as exc:
            raise ProvisionFailed(
                f"environments.{run.environment}.endpoints.{spec.name}: {exc}"
            ) from None
        host, port = fields.pop("host"), fields.pop("port")
        handle = ServiceHandle(
            spec.name,
            self.name,
            host,
            port,
            fields={**spec.fields, **fields, "kind": spec.recipe},
            resources={},
        )
        target = ReadyTarget(spec.name, host, port, handle.endpoint())
        deadline = Deadline(spec.timeout, spec.ready.interval, spec.timeout_key)
        wait_ready(target, checks_for(spec.ready, spec.recipe), deadline)
        return handle

    def stop(self, handle: ServiceHandle) -> None:
        return None

    def alive(self, handle: ServiceHandle) -> bool:
        return True

    def leftovers(self, live_runs: set[str], owner: str | None) -> list[Leftover]:
        return []

    def remove(self, leftover: Leftover) -> None:
        return None
