"""Failure history in SQLite: what is new, what recurs, what regressed, what got fixed.

Each run records every test's outcome; a failure also records its fingerprint, the test id plus
its error signature with the noise removed (addresses, uuids, numbers, temporary paths, line
numbers), so the same failure in two runs has the same fingerprint. Against earlier runs a failure
is:

* ``new``: this fingerprint was never seen before;
* ``recurring``: seen before, and the test has not passed since it was last seen;
* ``regressed``: seen before, the test passed in between, and it fails the same way again.

A fingerprint that failed in the previous run of a test that passes now is reported ``fixed``.
The flakiness rate of a test is the share of its last 50 recorded runs in which it was flaky
(failed, then passed on a fresh re-run).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from omnicloud.errors import InfrastructureError
from omnicloud.triage.model import Failure, Fixed

_NOISE = [
    (re.compile(r"(?:/private)?/(?:tmp|var/folders|var/tmp)/[^\s'\":]*"), "<tmp>"),
    (re.compile(r"pytest-of-[^/\s]+/pytest-\d+/[^\s'\":]*"), "<tmp>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<addr>"),
    (
        re.compile(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
        ),
        "<uuid>",
    ),
    (re.compile(r"\b[0-9a-fA-F]{12,}\b"), "<hex>"),
    (re.compile(r"\bline \d+"), "line <n>"),
    (re.compile(r"(\.\w+):\d+(?::\d+)?"), r"\1:<n>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
    (re.compile(r"\s+"), " "),
]
FLAKY_WINDOW = 50

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    started REAL NOT NULL,
    commit_sha TEXT
);
CREATE TABLE IF NOT EXISTS results (
    run_seq INTEGER NOT NULL REFERENCES runs(seq),
    test_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    fingerprint TEXT,
    category TEXT,
    PRIMARY KEY (run_seq, test_id)
);
CREATE INDEX IF NOT EXISTS results_by_test ON results(test_id, run_seq);
CREATE INDEX IF NOT EXISTS results_by_fingerprint ON results(fingerprint, run_seq);
"""


def error_signature(failure: Failure) -> str:
    """The failure's message (or last traceback line) with run-to-run noise removed."""
    text = failure.message.strip()
    if not text:
        lines = [ln for ln in failure.traceback.splitlines() if ln.strip()]
        text = lines[-1] if lines else failure.status
    text = text[:500]
    for pattern, replacement in _NOISE:
        text = pattern.sub(replacement, text)
    return text.strip()


def fingerprint(failure: Failure) -> str:
    """A stable 16-hex-digit identity: test id + normalised error signature."""
    data = f"{failure.test_id}\0{error_signature(failure)}".encode()
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass(frozen=True)
class Seen:
    state: str  # new | recurring | regressed
    first_run: str
    first_commit: str | None


@dataclass
class HistoryUpdate:
    """What the history says about this run."""

    seen: dict[str, Seen] = field(default_factory=dict)  # by fingerprint
    fixed: list[Fixed] = field(default_factory=list)
    flakiness: dict[str, float] = field(default_factory=dict)  # test id -> rate, rate > 0 only


@dataclass(frozen=True)
class RecordedFailure:
    failure: Failure
    fingerprint: str
    category: str


class History:
    """A SQLite file of results per run; ``record`` analyses and stores one run atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise InfrastructureError(f"cannot open failure history {self.path}: {exc}") from None
        with closing(connection):
            try:
                connection.executescript(_SCHEMA)
                with connection:  # one transaction: all of the run or nothing
                    # Take the write lock before the first read: what decides new, recurring
                    # and regressed must not change before this run's rows are written, or
                    # concurrent runs call the same failure "new" twice.
                    connection.execute("BEGIN IMMEDIATE")
                    yield connection
            except sqlite3.DatabaseError as exc:
                raise InfrastructureError(
                    f"failure history {self.path} is unusable: {exc}",
                    hint="move the file away to start a new history",
                ) from None

    def record(
        self,
        run_id: str,
        commit: str | None,
        passed: Iterable[str],
        failures: list[RecordedFailure],
    ) -> HistoryUpdate:
        passed = list(passed)
        with self._connect() as db:
            if db.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone():
                raise InfrastructureError(
                    f"run '{run_id}' is already in the failure history {self.path}",
                    hint="give this run another id (--run-id), or triage with --no-history",
                )
            update = HistoryUpdate()
            for item in failures:
                update.seen[item.fingerprint] = _seen(db, item, run_id, commit)
            update.fixed = _fixed(db, passed)
            seq = db.execute(
                "INSERT INTO runs (id, started, commit_sha) VALUES (?, ?, ?)",
                (run_id, time.time(), commit),
            ).lastrowid
            rows: list[tuple[int | None, str, str, str | None, str | None]] = [
                (seq, test, "passed", None, None) for test in passed
            ]
            rows += [
                (seq, f.failure.test_id, f.failure.status, f.fingerprint, f.category)
                for f in failures
            ]
            db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?)", rows)
            tests = {f.failure.test_id for f in failures} | set(passed)
            update.flakiness = _flakiness(db, tests)
        return update

    def runs(self) -> list[tuple[str, str | None]]:
        with self._connect() as db:
            return list(db.execute("SELECT id, commit_sha FROM runs ORDER BY seq"))


def _seen(db: sqlite3.Connection, item: RecordedFailure, run_id: str, commit: str | None) -> Seen:
    (last_seen,) = db.execute(
        "SELECT MAX(run_seq) FROM results WHERE fingerprint = ?", (item.fingerprint,)
    ).fetchone()
    if last_seen is None:
        return Seen("new", run_id, commit)
    first_run, first_commit = db.execute(
        "SELECT runs.id, runs.commit_sha FROM results JOIN runs ON runs.seq = results.run_seq"
        " WHERE fingerprint = ? ORDER BY results.run_seq LIMIT 1",
        (item.fingerprint,),
    ).fetchone()
    passed_since = db.execute(
        "SELECT 1 FROM results WHERE test_id = ? AND run_seq > ? AND outcome = 'passed' LIMIT 1",
        (item.failure.test_id, last_seen),
    ).fetchone()
    return Seen("regressed" if passed_since else "recurring", first_run, first_commit)


def _fixed(db: sqlite3.Connection, passed: list[str]) -> list[Fixed]:
    """Tests passing now whose most recent recorded run failed."""
    fixed = []
    for test in passed:
        row = db.execute(
            "SELECT results.outcome, results.fingerprint, results.category, runs.id FROM results"
            " JOIN runs ON runs.seq = results.run_seq WHERE test_id = ?"
            " ORDER BY results.run_seq DESC LIMIT 1",
            (test,),
        ).fetchone()
        if row and row[0] in ("failed", "error") and row[1]:
            fixed.append(Fixed(test, row[1], row[2] or "", row[3]))
    return fixed


def _flakiness(db: sqlite3.Connection, tests: set[str]) -> dict[str, float]:
    rates = {}
    for test in sorted(tests):
        outcomes = [
            row[0]
            for row in db.execute(
                "SELECT outcome FROM results WHERE test_id = ? ORDER BY run_seq DESC LIMIT ?",
                (test, FLAKY_WINDOW),
            )
        ]
        flaky = outcomes.count("flaky")
        if flaky:
            rates[test] = round(flaky / len(outcomes), 4)
    return rates


def current_commit(root: Path) -> str | None:
    """The checked-out commit of the repository holding ``root``, else the CI's commit."""
    import os
    import subprocess

    # One `git rev-parse` (a few milliseconds) rather than GitPython, whose import and object
    # parsing cost a certify run about 0.3 s for one commit id.
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):  # git missing or stuck: ask the CI
        done = None
    if done is not None and done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip()
    for name in ("GITHUB_SHA", "CI_COMMIT_SHA", "OMNICLOUD_COMMIT"):
        if os.environ.get(name):
            return os.environ[name]
    return None
