"""A GET that readiness pings share (etcd, moto): the status and body, or ``NotReady``."""

from __future__ import annotations

import urllib.error
import urllib.request

from omnicloud.provision.ready import NotReady


def http_get(url: str, timeout: float = 2.0) -> str:
    """The body of a 2xx answer; any other answer is ``NotReady``, network errors propagate."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bytes(response.read(65536)).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        exc.close()
        raise NotReady(f"HTTP {exc.code} from {url}") from None
