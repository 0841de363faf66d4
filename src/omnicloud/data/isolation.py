"""Per-test, per-worker seeds and namespaces, so parallel tests never share data or keys."""

from __future__ import annotations

import hashlib
import os

_SEED_BYTES = 8


def derive_seed(base: int, test_id: str, worker_id: str = "") -> int:
    """A 64-bit seed for ``test_id`` on ``worker_id`` derived from a dataset's ``base`` seed.

    Pure: the same three values give the same seed on any machine; different tests or workers
    give unrelated seeds (BLAKE2b), so their uuids, emails and other random fields are disjoint.
    """
    material = f"{base}\x00{test_id}\x00{worker_id}".encode()
    digest = hashlib.blake2b(material, digest_size=_SEED_BYTES, person=b"omnicloud-seed").digest()
    return int.from_bytes(digest, "big")


def namespace_for(test_id: str, worker_id: str = "") -> str:
    """A short key prefix unique to a test on a worker, e.g. ``t-3f9a2c1d0b7e``."""
    material = f"{test_id}\x00{worker_id}".encode()
    return "t-" + hashlib.blake2b(material, digest_size=6, person=b"omnicloud-ns").hexdigest()


def current_worker() -> str:
    """The xdist worker id (``gw0``...), or ``main`` outside xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")
