"""Concurrent ``omnicloud triage`` runs on one history agree on what is new.

The test holds the history's write lock while eight runs start, so every run reaches the
history before any of them has written it: the decisions made outside the write transaction
would all say "new"; made inside it, exactly one run sees the failures first.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from trust_support import environ

from omnicloud.triage.history import History

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="0" tests="2">
<testcase classname="omnicloud.toml.scratch-kv:kv_store" name="test_get" time="0.1">
<failure message="AssertionError: expected b'v', got None">trace</failure></testcase>
<testcase classname="omnicloud.toml.scratch-kv:kv_store" name="test_set" time="0.1"/>
</testsuite></testsuites>
"""
RUNS = 8


def _cpu_time(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _wait_until_all_wait(procs: list[subprocess.Popen[str]], timeout: float = 120) -> None:
    """Until every process has used no CPU for a second (blocked on the history's lock)."""
    deadline = time.monotonic() + timeout
    last = [-1] * len(procs)
    while time.monotonic() < deadline:
        now = [_cpu_time(p.pid) if p.poll() is None else -2 for p in procs]
        if now == last:
            return
        last = now
        time.sleep(1.0)
    raise AssertionError("the triage runs never settled")


def _triage(tmp_path: Path, junit: Path, history: Path, i: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable, "-m", "omnicloud", "triage", str(junit), "--history", str(history),
            "--no-sinks", "--json", "--exit-zero", "--run-id", f"run-{i}",
            "--results-dir", str(tmp_path / f"out-{i}"),
        ],
        cwd=tmp_path,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environ(),
    )  # fmt: skip


def test_eight_concurrent_triage_runs_call_a_failure_new_exactly_once(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT, encoding="utf-8")
    history = tmp_path / "history.sqlite"
    History(history).runs()  # creates the schema
    holder = sqlite3.connect(history, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a writer in the middle of its transaction
    try:
        runs = [_triage(tmp_path, junit, history, i) for i in range(RUNS)]
        _wait_until_all_wait(runs)
    finally:
        holder.execute("COMMIT")
        holder.close()
    new_in = []
    for proc in runs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out + err
        new_in += [[f["history"] for f in json.loads(out)["failures"]] == ["new"]]
    assert new_in.count(True) == 1, new_in  # exactly one run saw the failure first
