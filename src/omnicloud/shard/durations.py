"""The durations store: how long each test took last time, keyed by pytest node id.

A JSON file (config ``run.durations``, default ``.omnicloud/durations.json``)::

    {"version": 1, "durations": {"tests/test_a.py::test_x": 0.125, ...}}

A plain ``{node id: seconds}`` object (pytest-split's ``.test_durations``) is accepted too. It is
updated from JUnit files (``omnicloud merge``), merged across shards (the newest measurement of a
test wins; tests not run keep their old value) and written atomically, so a crash or two shards
writing at once never leave a truncated file.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from omnicloud.errors import ResultsError

DEFAULT_PATH = Path(".omnicloud/durations.json")
VERSION = 1
#: Test-case property our pytest plugin records with the exact node id (see pytest_plugins.shard).
NODEID_PROPERTY = "omnicloud.nodeid"


def load_durations(path: Path) -> dict[str, float]:
    """Durations recorded in ``path``; an absent file is an empty store."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read the durations store: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise _unreadable(path, "not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsError(
            f"{path}:{exc.lineno}:{exc.colno}: the durations store is not valid JSON: {exc.msg}",
            hint="delete the file; the next merged run records it again",
        ) from None
    except RecursionError:  # a CI cache is shared: its content is untrusted
        raise _unreadable(path, "nested too deeply") from None
    return _parse_store(data, path)


def _unreadable(path: Path, why: str) -> ResultsError:
    return ResultsError(
        f"{path}: the durations store is not valid JSON: {why}",
        hint="delete the file; the next merged run records it again",
    )


def save_durations(path: Path, durations: Mapping[str, float]) -> None:
    """Write ``durations`` to ``path`` atomically (a temporary file renamed over it)."""
    payload = {
        "version": VERSION,
        "durations": {k: round(durations[k], 6) for k in sorted(durations)},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(payload, stream, indent=1, sort_keys=False)
            stream.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def merge_durations(*stores: Mapping[str, float]) -> dict[str, float]:
    """Later stores win for the tests they contain; the others keep their earlier value."""
    merged: dict[str, float] = {}
    for store in stores:
        merged.update(store)
    return merged


def update_durations(path: Path, measured: Mapping[str, float]) -> dict[str, float]:
    """Merge ``measured`` into the store at ``path`` and write it; returns the new store."""
    merged = merge_durations(load_durations(path), measured)
    save_durations(path, merged)
    return merged


def junit_address(nodeid: str) -> str:
    """The ``classname::name`` pytest's junitxml writes for ``nodeid`` (its mangling rules),
    so durations recorded from any pytest JUnit file can be matched to collected items."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return ".".join(names[:-1]) + "::" + names[-1]


def lookup_table(durations: Mapping[str, float], nodeids: Iterable[str]) -> dict[str, float]:
    """Durations of ``nodeids``, found by node id or by their JUnit ``classname::name``."""
    table: dict[str, float] = {}
    for nodeid in nodeids:
        value = durations.get(nodeid)
        if value is None:
            value = durations.get(junit_address(nodeid))
        if value is not None:
            table[nodeid] = value
    return table


def _parse_store(data: object, path: Path) -> dict[str, float]:
    if isinstance(data, dict) and "durations" in data and "version" in data:
        data = data["durations"]
    if not isinstance(data, dict):
        raise ResultsError(
            f"{path}: the durations store must be a JSON object of test id -> seconds"
        )
    out: dict[str, float] = {}
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ResultsError(
                f"{path}: durations.{key}: expected a non-negative number of seconds, got {value!r}"
            )
        out[str(key)] = float(value)
    return out
