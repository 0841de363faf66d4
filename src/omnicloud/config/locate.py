"""Find the line and column of a dotted key in TOML text.

``tomllib`` returns plain data without positions; errors must still point at a line. This scanner
walks the text once, tracking table headers (``[a.b]``, ``[[a.b]]`` with their indexes), dotted
keys and inline tables, and records where each key path starts. Lookups fall back to the longest
recorded prefix, so an error inside a value list still lands on its key's line.
"""

from __future__ import annotations

import re

_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"|\'[^\']*\''
_KEY = rf"(?:{_BARE}|{_QUOTED})"
_DOTTED = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]\]?")
_ASSIGN = re.compile(rf"({_DOTTED})\s*=")
_PART = re.compile(rf"\s*({_KEY})\s*\.?")

Path = tuple[str, ...]


def _split(dotted: str) -> Path:
    parts = []
    for match in _PART.finditer(dotted):
        token = match.group(1)
        if token[0] in "\"'":
            token = token[1:-1]
        parts.append(token)
    return tuple(parts)


class KeyLocator:
    """Maps key paths (tuples of str, list indexes as decimal strings) to (line, column)."""

    def __init__(self, text: str) -> None:
        self.positions: dict[Path, tuple[int, int]] = {}
        self._array_counts: dict[Path, int] = {}
        self._scan(text)

    def _record(self, path: Path, line: int, column: int) -> None:
        self.positions.setdefault(path, (line, column))

    def _scan(self, text: str) -> None:
        table: Path = ()
        for lineno, raw in enumerate(text.splitlines(), start=1):
            line = _strip_comment(raw)
            if not line.strip():
                continue
            header = _HEADER.match(line)
            if header:
                path = _split(header.group(2))
                column = line.index(header.group(2)) + 1
                if header.group(1) == "[[":
                    index = self._array_counts.get(path, 0)
                    self._array_counts[path] = index + 1
                    self._record(path, lineno, column)
                    path = (*path, str(index))
                table = path
                for cut in range(1, len(table) + 1):  # [provders.x] locates 'provders' too
                    self._record(table[:cut], lineno, column)
                continue
            self._scan_assignments(line, table, lineno)

    def _scan_assignments(self, line: str, table: Path, lineno: int) -> None:
        """Record ``key =`` at the start of a line and inside inline tables on that line."""
        frames: list[tuple[str, Path]] = [("table", table)]
        pending: Path | None = None
        pos = 0
        expect_key = True
        while pos < len(line):
            char = line[pos]
            if char.isspace():
                pos += 1
                continue
            if expect_key:
                expect_key = False
                match = _ASSIGN.match(line, pos)
                if match:
                    base = frames[-1][1]
                    path = (*base, *_split(match.group(1)))
                    for cut in range(len(base) + 1, len(path) + 1):
                        self._record(path[:cut], lineno, pos + 1)
                    pending = path
                    pos = match.end()
                    continue
            if char in "\"'":
                pos = _skip_string(line, pos)
                continue
            if char in "{[":
                owner = pending if pending is not None else frames[-1][1]
                frames.append(("inline" if char == "{" else "array", owner))
                pending = None
                expect_key = char == "{"
            elif char in "}]" and len(frames) > 1:
                frames.pop()
            elif char == "," and frames[-1][0] == "inline":
                expect_key = True
            pos += 1

    def find(self, path: Path) -> tuple[int, int]:
        """Line and column of ``path`` or its longest recorded prefix; (0, 0) if none."""
        for cut in range(len(path), 0, -1):
            hit = self.positions.get(path[:cut])
            if hit:
                return hit
        return (0, 0)


def _skip_string(line: str, pos: int) -> int:
    quote = line[pos]
    if line.startswith(quote * 3, pos):
        end = line.find(quote * 3, pos + 3)
        return len(line) if end < 0 else end + 3
    pos += 1
    while pos < len(line):
        if line[pos] == "\\" and quote == '"':
            pos += 2
            continue
        if line[pos] == quote:
            return pos + 1
        pos += 1
    return pos


def _strip_comment(line: str) -> str:
    out = []
    quote = ""
    for char in line:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        out.append(char)
    return "".join(out)
