"""Helpers for provisioning tests: is a port open, is a pid running, what runs in a dir."""

from __future__ import annotations

import socket


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), 0.5):
            return True
    except OSError:
        return False
