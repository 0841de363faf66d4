"""What prioritisation reads: recent failures (the triage history) and test durations.

Both files are written by other stages and may be missing, empty, from an older schema or
damaged; every reader here returns an empty mapping then, because ordering is a nicety and must
never stop a selection. Results are per test node id; ``per_item`` folds them onto providers
(node ids name the provider: ``omnicloud.toml::redis-kv:kv_store::test_x``) and test files.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping
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
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return {}
    try:
        return _count_failures(connection)
    except sqlite3.Error:
        return {}
    finally:
        connection.close()


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


def read_durations(path: Path) -> dict[str, float]:
    """``{nodeid: seconds}`` from ``run.durations`` (pytest-split's format too)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float)}


def per_item(
    values: Mapping[str, float], providers: Iterable[str], test_files: Iterable[str]
) -> dict[str, float]:
    """Sum node-id values onto provider names and test file paths."""
    names = sorted(providers, key=len, reverse=True)
    files = set(test_files)
    pattern = (
        re.compile(r"(?:^|::|/)(" + "|".join(map(re.escape, names)) + r"):") if names else None
    )
    totals: dict[str, float] = {}
    for nodeid, value in values.items():
        head = nodeid.partition("::")[0]
        if head in files:
            totals[head] = totals.get(head, 0.0) + value
            continue
        match = pattern.search(nodeid) if pattern is not None else None
        if match is not None:
            totals[match.group(1)] = totals.get(match.group(1), 0.0) + value
    return totals
