"""Processes a test body starts and must not leave running when it fails; which pids run.

``spawn`` starts a process (text mode) and remembers it; ``tests/conftest.py`` calls ``reap``
when each test body ends, pass or fail. A test that asserts before it stopped its child (a
certify run, a nested pytest) would otherwise leak it, still holding its services, into later
tests' teardown, and one failure would show as several. A child started in its own process
group (``start_new_session=True``, as the Ctrl-C tests do) is killed with its whole group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_STARTED: list[tuple[subprocess.Popen[str], bool]] = []


def spawn(argv: Sequence[str], **options: Any) -> subprocess.Popen[str]:
    """``subprocess.Popen(argv, text=True, **options)``, reaped when the test body ends."""
    proc: subprocess.Popen[str] = subprocess.Popen(list(argv), text=True, **options)
    _STARTED.append((proc, bool(options.get("start_new_session"))))
    return proc


def reap() -> None:
    """Kill what the test body left running (its group too, when it has its own), then wait."""
    while _STARTED:
        proc, own_group = _STARTED.pop()
        with contextlib.suppress(ProcessLookupError):
            if own_group:  # the leader may be gone while its group (a service) lives on
                os.killpg(proc.pid, signal.SIGKILL)
            elif proc.poll() is None:
                proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=30)  # collects it and closes its pipes


def pid_running(pid: int) -> bool:
    """Running, not a zombie waiting for whoever adopted it."""
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
