"""The I/O edge of the import graph: list the project's Python files with their git blob ids,
and parse only those whose blob is not in the cache.

A file's blob id is what git already knows for a clean file (``git ls-files -s``), and is hashed
here the way git does for a file changed in the working tree, so a warm run reads no clean file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from omnicloud.affected.changes import GitRepo
from omnicloud.affected.imports import ParsedImports, parse_imports
from omnicloud.affected.testmap import blob_id

CACHE_VERSION = 2


@dataclass(frozen=True)
class ScanStats:
    """How a scan went: files seen, parsed now, and served from the cache."""

    files: int
    parsed: int
    cached: int


def python_blobs(project_dir: Path, dirty: Iterable[str]) -> dict[str, str]:
    """Project-relative path -> blob id of every tracked or untracked ``.py`` file present."""
    git = GitRepo.open(project_dir)
    out = git.run("ls-files", "-s", "-z", "--", git.prefix or ".", strip=False)
    blobs: dict[str, str] = {}
    for entry in out.split("\0"):
        if entry.endswith(".py"):
            meta, _, path = entry.partition("\t")
            blobs[git.relative(path)] = meta.split()[1]
    for path in dirty:
        if path.endswith(".py"):
            try:
                blobs[path] = blob_id((project_dir / path).read_bytes())
            except FileNotFoundError:  # deleted in the working tree
                blobs.pop(path, None)
    return blobs


def scan_imports(
    project_dir: Path, blobs: dict[str, str], cache_path: Path | None
) -> tuple[dict[str, ParsedImports], ScanStats]:
    """Parsed imports of every file in ``blobs``, reusing the cache by blob id."""
    cache = _read_cache(cache_path)
    parsed: dict[str, ParsedImports] = {}
    fresh = 0
    for path, blob in blobs.items():
        entry = cache.get(blob)
        if entry is None:
            try:
                entry = parse_imports((project_dir / path).read_bytes(), path)
            except OSError:  # listed by git but gone from disk (a sparse checkout)
                continue
            cache[blob] = entry
            fresh += 1
        parsed[path] = entry
    if cache_path is not None and fresh:
        _write_cache(cache_path, {blobs[p]: parsed[p] for p in parsed})
    return parsed, ScanStats(len(blobs), fresh, len(parsed) - fresh)


def _read_cache(path: Path | None) -> dict[str, ParsedImports]:
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != CACHE_VERSION:
            return {}
        return {blob: ParsedImports.from_json(v) for blob, v in data["entries"].items()}
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return {}  # a damaged cache only costs a cold run


def _write_cache(path: Path, entries: dict[str, ParsedImports]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():  # like .pytest_cache: the cache must never show up as a change
        ignore.write_text("# written by omnicloud affected\n*\n", encoding="utf-8")
    payload = {
        "version": CACHE_VERSION,
        "entries": {blob: p.to_json() for blob, p in entries.items()},
    }
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".imports-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(payload, stream, separators=(",", ":"))
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
