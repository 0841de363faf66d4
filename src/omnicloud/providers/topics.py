"""Topic patterns of the ``pubsub_wildcards`` interface, matched where a backend matches them
itself (the in-memory store, and Redis's second check after its glob)."""

from __future__ import annotations


def pattern_matches(pattern: str, topic: str) -> bool:
    """NATS-style, on '.'-separated tokens: '*' matches one token, a final '>' one or more."""
    want, have = pattern.split("."), topic.split(".")
    for index, token in enumerate(want):
        if token == ">" and index == len(want) - 1:
            return len(have) > index
        if index >= len(have) or (token != "*" and token != have[index]):
            return False
    return len(want) == len(have)
