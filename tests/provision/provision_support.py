"""Helpers for provisioning tests: is a port open, is a pid running, what runs in a dir."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), 0.5):
            return True
    except OSError:
        return False


def pid_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def processes_in(directory: Path) -> list[int]:
    """Pids of running processes whose working directory is inside ``directory``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = Path(os.readlink(proc / "cwd"))
        except OSError:
            continue
        if (cwd == directory or directory in cwd.parents) and pid_running(int(proc.name)):
            found.append(int(proc.name))
    return found
