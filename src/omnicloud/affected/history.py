"""What prioritisation reads: recent failures (the triage history) and test durations.

Both files are written by other stages and may be missing, empty, from an older schema or
damaged; every reader here returns an empty mapping then, because ordering is a nicety and must
never stop a selection. Results are per test node id; ``per_item`` folds them onto providers
(node ids name the provider: ``omnicloud.toml::redis-kv:kv_store::test_x``) and test files.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import closing
from pathlib import Path

_TEST_COLUMNS = ("nodeid", "node_id", "test_id", "test", "test_name", "name")
_OUTCOME_COLUMNS = ("outcome", "status", "result", "category")
_FAILED = ("failed", "failure", "error", "broken", "flaky")
RECENT_ROWS = 5000


def recent_failures(path: Path) -> dict[str, int]:
    """Node id -> failures among the most recent rows of the history database."""
    if not path.is_file():
        return {}
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            return _count_failures(db)
    except sqlite3.Error:  # unreadable, not a database, no history table: no history
        return {}


def _count_failures(connection: sqlite3.Connection) -> dict[str, int]:
    tables = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
        )
    ]
    counts: dict[str, int] = {}
    for table in tables:
        columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]
        test = next((c for c in _TEST_COLUMNS if c in columns), None)
        outcome = next((c for c in _OUTCOME_COLUMNS if c in columns), None)
        if test is None or outcome is None:
            continue
        marks = ",".join("?" * len(_FAILED))
        rows = connection.execute(
            f'SELECT "{test}" FROM (SELECT * FROM "{table}" ORDER BY rowid DESC LIMIT ?)'
            f' WHERE lower("{outcome}") IN ({marks})',
            (RECENT_ROWS, *_FAILED),
        )
        for (nodeid,) in rows:
            counts[str(nodeid)] = counts.get(str(nodeid), 0) + 1
    return counts


def read_durations(path: Path) -> dict[str, object]:
    """``{nodeid: seconds}`` from ``run.durations`` (pytest-split's format too)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    # values are checked where they are used (per_item): this file can hold 100,000 entries
    return data if isinstance(data, dict) else {}


def per_item(
    values: Mapping[str, object], providers: Iterable[str], test_files: Iterable[str]
) -> dict[str, float]:
    """Sum node-id values onto provider names and test file paths (non-numbers are skipped)."""
    names = set(providers)
    files = set(test_files)
    totals: dict[str, float] = {}
    for nodeid, value in values.items():
        head, _, rest = nodeid.partition("::")
        if head in files:
            key = head
        else:  # "<config>::<provider>:<suite>::<test>"
            key = rest.partition(":")[0]
            if key not in names:
                continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            totals[key] = totals.get(key, 0.0) + value
    return totals
