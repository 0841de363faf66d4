"""The results folder of one run: exclusive, written aside, published whole.

A run writes its JUnit, reports and triage into a fresh hidden folder next to the results
(``.run-<run id>``) and, when it ends (complete, failed or interrupted), swaps them in together,
so the folder never holds the previous run's report beside a new partial JUnit. A run killed
outright (SIGKILL) leaves the previous results untouched and its hidden folder is removed by the
next run. A lock file refuses a second run writing the same results at the same time.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from omnicloud.errors import InfrastructureError

#: What one run writes (besides its JUnit): replaced together when the run publishes.
SHARED_OUTPUTS = ("report.json", "report.md", "triage")


@dataclass
class RunFolder:
    """``final`` is where results are read; ``staging`` is where this run writes them."""

    final: Path
    staging: Path
    junit_name: str
    lock_fd: int

    @property
    def outputs(self) -> tuple[str, ...]:
        return (self.junit_name, *SHARED_OUTPUTS)


def open_run_folder(final: Path, run_id: str, suffix: str = "") -> RunFolder:
    """Lock ``final`` for this run (shards lock separately) and make its staging folder."""
    try:
        final.mkdir(parents=True, exist_ok=True)
        fd = os.open(final / f".omnicloud{suffix}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise InfrastructureError(
            f"results folder {final} is not writable: {exc.strerror or exc}",
            hint="set project.results_dir or pass --results-dir",
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = _read_holder(fd)
        os.close(fd)
        raise InfrastructureError(
            f"results folder {final} is in use by another omnicloud run ({holder}): two runs"
            " writing one folder would overwrite each other's results",
            hint="wait for that run to finish, or give this one its own folder with --results-dir",
        ) from None
    _write_holder(fd, run_id)
    for stale in final.glob(f".run{suffix}-*"):  # left by a run killed outright
        shutil.rmtree(stale, ignore_errors=True)
    staging = final / f".run{suffix}-{run_id}"
    staging.mkdir(mode=0o700)
    return RunFolder(final, staging, f"junit{suffix}.xml", fd)


def publish(folder: RunFolder) -> None:
    """Swap this run's outputs in: the previous run's outputs go, whatever this run wrote
    takes their place."""
    for name in folder.outputs:
        _remove(folder.final / name)
    for entry in sorted(folder.staging.iterdir()):
        target = folder.final / entry.name
        _remove(target)
        os.replace(entry, target)
    shutil.rmtree(folder.staging, ignore_errors=True)


def release(folder: RunFolder) -> None:
    with contextlib.suppress(OSError):
        os.close(folder.lock_fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _write_holder(fd: int, run_id: str) -> None:
    data = json.dumps({"pid": os.getpid(), "run_id": run_id, "started": time.time()})
    os.ftruncate(fd, 0)
    os.pwrite(fd, data.encode(), 0)


def _read_holder(fd: int) -> str:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return "unknown run"
    started = time.strftime("%H:%M:%S", time.localtime(float(data.get("started", 0))))
    return f"pid {data.get('pid', '?')}, run {data.get('run_id', '?')}, started {started}"
