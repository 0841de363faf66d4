"""Per-worker views of shared services: one instance, each xdist worker in its own corner.

The controller provisions each service once and writes its endpoint; each worker reads it
through ``worker_view``, which rewrites the fields with the ``view`` of the service's ``kind``
(``provision/kinds/<kind>.py``), for example:

* redis: database ``worker index + 1`` (``db`` and ``url``) and key ``prefix`` ``"gw3:"``;
* postgres: ``schema`` ``"omnicloud_gw3"`` (providers create it on first use) and ``url``
  carrying ``options=-csearch_path=...``;
* etcd: key ``prefix`` ``"gw3/"``; nats: ``prefix`` ``"gw3_"``; moto: ``prefix`` ``"gw3-"``;
* rabbitmq: ``vhost`` ``"omnicloud_gw3"`` (also in ``url``) and ``prefix`` ``"gw3."``.

A run without xdist (no worker id) sees the endpoints unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from omnicloud.provision.kinds import get_kind

__all__ = ["worker_index", "worker_view"]

_WORKER = re.compile(r"^gw(\d+)$")


def worker_index(worker_id: str | None) -> int | None:
    """``"gw3"`` -> 3; ``None`` (or ``"master"``) when not an xdist worker."""
    match = _WORKER.match(worker_id or "")
    return int(match.group(1)) if match else None


def worker_view(
    endpoints: Mapping[str, Mapping[str, Any]], worker_id: str | None
) -> dict[str, dict[str, Any]]:
    """The endpoints as worker ``worker_id`` must use them."""
    index = worker_index(worker_id)
    out: dict[str, dict[str, Any]] = {}
    for name, endpoint in endpoints.items():
        plain = dict(endpoint)
        kind = get_kind(str(endpoint.get("kind"))) if index is not None else None
        view = kind.view if kind is not None else None
        out[name] = plain if index is None or view is None else view(plain, str(worker_id), index)
    return out
