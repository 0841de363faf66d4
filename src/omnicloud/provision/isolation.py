"""Per-worker views of shared services: one instance, each xdist worker in its own corner.

The controller provisions each service once and writes its endpoint; each worker reads it
through ``worker_view``, which rewrites the fields by the service's ``kind``:

* redis: database ``worker index + 1`` (``db`` and ``url``) and key ``prefix`` ``"gw3:"``;
* postgres: ``schema`` ``"omnicloud_gw3"`` (providers create it on first use) and ``url``
  carrying ``options=-csearch_path=...``.

A run without xdist (no worker id) sees the endpoints unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

REDIS_DATABASES = 64  # the redis recipe starts servers with --databases 64
_WORKER = re.compile(r"^gw(\d+)$")


def worker_index(worker_id: str | None) -> int | None:
    """``"gw3"`` -> 3; ``None`` (or ``"master"``) when not an xdist worker."""
    match = _WORKER.match(worker_id or "")
    return int(match.group(1)) if match else None


def _redis(endpoint: dict[str, Any], worker: str, index: int) -> dict[str, Any]:
    db = 1 + index % (REDIS_DATABASES - 1)
    parts = urlsplit(str(endpoint.get("url", "")))
    url = urlunsplit(parts._replace(path=f"/{db}")) if parts.scheme else endpoint.get("url")
    return {**endpoint, "db": db, "url": url, "prefix": f"{endpoint.get('prefix', '')}{worker}:"}


def _postgres(endpoint: dict[str, Any], worker: str, index: int) -> dict[str, Any]:
    schema = f"omnicloud_{worker}"
    url = str(endpoint.get("url", ""))
    if url:
        option = quote(f"-csearch_path={schema}", safe="")
        url = f"{url}{'&' if '?' in url else '?'}options={option}"
    return {**endpoint, "schema": schema, "url": url}


VIEWS: dict[str, Callable[[dict[str, Any], str, int], dict[str, Any]]] = {
    "redis": _redis,
    "postgres": _postgres,
}


def worker_view(
    endpoints: Mapping[str, Mapping[str, Any]], worker_id: str | None
) -> dict[str, dict[str, Any]]:
    """The endpoints as worker ``worker_id`` must use them."""
    index = worker_index(worker_id)
    out: dict[str, dict[str, Any]] = {}
    for name, endpoint in endpoints.items():
        view = VIEWS.get(str(endpoint.get("kind")))
        plain = dict(endpoint)
        out[name] = plain if index is None or view is None else view(plain, str(worker_id), index)
    return out
