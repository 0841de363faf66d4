"""Certification under faults (RFC-015 phase 3).

``proxy`` is a small asyncio TCP proxy speaking toxiproxy's vocabulary (latency, jitter,
bandwidth, slow_close, timeout, reset_peer; upstream / downstream) that sits between a provider
and its service; ``service`` crashes, restarts and hangs a service the process provisioner
started; ``history`` records every operation with its start, end and outcome; ``checkers`` are
the invariants verified on that history (pure); ``scenarios`` runs a fault profile against a
provider and returns its verdict.
"""
