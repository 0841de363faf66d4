"""Service endpoints handed from the provisioning stage to provider options.

The process that provisions services (the CLI, or the xdist controller) writes a JSON file
``{service: {field: value}}`` and names it in ``$OMNICLOUD_ENDPOINTS``; every process that builds
providers (each xdist worker) reads it. Provider options refer to fields as
``{services.<name>.<field>}`` (``url``, ``host``, ``port``, ``password``, ...).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omnicloud.errors import InfrastructureError

ENV_ENDPOINTS = "OMNICLOUD_ENDPOINTS"
PLACEHOLDER = re.compile(r"\{services\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_]+)\}")

Endpoints = dict[str, dict[str, Any]]


def load_endpoints(environ: Mapping[str, str] | None = None) -> Endpoints:
    """The endpoints named by ``$OMNICLOUD_ENDPOINTS``, or ``{}`` when none were provisioned.

    In an xdist worker (``$PYTEST_XDIST_WORKER``) each service is seen through the worker's
    isolated view: its own Redis database and key prefix, its own Postgres schema.
    """
    environ = os.environ if environ is None else environ
    path = environ.get(ENV_ENDPOINTS)
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InfrastructureError(f"cannot read service endpoints from {path}: {exc}") from None
    if not isinstance(data, dict):
        raise InfrastructureError(f"service endpoints file {path} does not hold a JSON object")
    from omnicloud.provision.isolation import worker_view

    return worker_view(data, environ.get("PYTEST_XDIST_WORKER"))


def write_endpoints(path: Path, endpoints: Endpoints) -> Path:
    """Write endpoints atomically so a reader never sees a half-written file; readable by
    this user only (they hold the services' passwords)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    write_private(tmp, json.dumps(endpoints, indent=2, sort_keys=True))
    tmp.replace(path)
    return path


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file created with mode 0600 (never world-readable, not even
    between creation and a later chmod)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def needed_services(value: Any) -> set[str]:
    """Service names referred to by placeholders anywhere in ``value``."""
    if isinstance(value, str):
        return {m.group(1) for m in PLACEHOLDER.finditer(value)}
    if isinstance(value, Mapping):
        return set().union(*(needed_services(v) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(needed_services(v) for v in value)) if value else set()
    return set()


def fill_placeholders(value: Any, endpoints: Endpoints, *, where: str = "options") -> Any:
    """Replace ``{services.<name>.<field>}`` in strings (recursively) with endpoint values.

    A string that is exactly one placeholder takes the endpoint value's own type (a port stays
    an int).
    """
    if isinstance(value, Mapping):
        return {k: fill_placeholders(v, endpoints, where=f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [fill_placeholders(v, endpoints, where=f"{where}.{i}") for i, v in enumerate(value)]
    if not isinstance(value, str) or "{services." not in value:
        return value
    whole = PLACEHOLDER.fullmatch(value)
    if whole:
        return _lookup(endpoints, whole.group(1), whole.group(2), where)
    return PLACEHOLDER.sub(lambda m: str(_lookup(endpoints, m.group(1), m.group(2), where)), value)


def _lookup(endpoints: Endpoints, service: str, field: str, where: str) -> Any:
    if service not in endpoints:
        raise InfrastructureError(
            f"{where} needs service '{service}', but no endpoint for it was provisioned",
            hint="run through 'omnicloud certify' or 'nox -s certify-...' so services are"
            " started, or start them with 'omnicloud env up' and export OMNICLOUD_ENDPOINTS",
        )
    fields = endpoints[service]
    if field not in fields:
        raise InfrastructureError(
            f"{where}: service '{service}' has no endpoint field '{field}'"
            f" (available: {', '.join(sorted(fields))})"
        )
    return fields[field]
