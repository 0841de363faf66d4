"""The per-test map: which code units and data files each test used, keyed by content.

Recorded during a full run (``omnicloud affected --record``, see ``recorder.py``): the C
profiler gives the functions each test entered, Python's audit hook on ``open`` gives the
non-code files it read. Code is folded into *units*: the innermost function holding it, or
``<module>`` for code that runs at import (class bodies, constants, signatures). Every unit is
stored with a fingerprint of its source, every data file with a hash of its content.

Selection compares the working tree with the recording, not with the base: a unit whose source
differs (or is gone) selects the tests that executed it; a changed ``<module>`` part selects every
test that touched the file and, since a test can use a constant without executing a line of its
module, every test file that imports it (the import graph); a data file whose content differs
selects the tests that opened it.
What the map has not seen (a new test, a new file, a test file edited since) is left to the import
graph. Everything here is pure apart from ``load_map``/``save_map``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnicloud.errors import SelectionError

MAP_VERSION = 2
DEFAULT_MAP = Path(".omnicloud/testmap.json")
MODULE_UNIT = "<module>"


@dataclass(frozen=True)
class Units:
    """A Python file cut into units: per line, the unit holding it; per unit, a fingerprint."""

    by_line: tuple[str, ...]  # index = line number (0 unused)
    fingerprints: Mapping[str, str]

    def unit_of(self, line: int) -> str:
        return self.by_line[line] if 0 < line < len(self.by_line) else MODULE_UNIT


def digest(text: str | bytes) -> str:
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def cut_units(text: str) -> Units | None:
    """Units of Python source, or None when it does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    by_line = [MODULE_UNIT] * (len(text.splitlines()) + 2)
    fingerprints: dict[str, str] = {}
    for name, node in _functions(tree):
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        last = node.end_lineno or node.lineno
        for line in range(first, last + 1):  # outer functions come first: inner ones win
            by_line[line] = name
        fingerprints[name] = digest(ast.dump(node))
    fingerprints[MODULE_UNIT] = digest("\n".join(_module_level(tree.body)))
    return Units(tuple(by_line), fingerprints)


def _module_level(body: list[ast.stmt]) -> Iterable[str]:
    """The syntax trees of code that runs at import: everything but function bodies.

    Syntax trees, not text: comments, blank lines and moved code change no fingerprint.
    """
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.ClassDef):
            header = [*node.bases, *node.keywords, *node.decorator_list]
            yield f"class {node.name}(" + ",".join(ast.dump(n) for n in header) + ")"
            yield from _module_level(node.body)
        else:
            yield ast.dump(node)


def _functions(tree: ast.Module) -> Iterable[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """(qualified name, node) of every function, outer before inner; a name defined twice in
    one scope (a property setter, a redefinition) is numbered: ``C.x``, ``C.x#2``."""
    stack: list[tuple[str, ast.AST]] = [("", tree)]
    seen: dict[str, int] = {}
    while stack:
        prefix, node = stack.pop(0)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                seen[name] = seen.get(name, 0) + 1
                name += f"#{seen[name]}" if seen[name] > 1 else ""
                yield name, child
                stack.append((f"{name}.", child))
            elif isinstance(child, ast.ClassDef):
                stack.append((f"{prefix}{child.name}.", child))
            else:
                stack.append((prefix, child))


class LazyEntries(MutableMapping[str, dict[str, Any]]):
    """Code entries decoded on first access: a selection reads the few files that changed, so
    the other entries of a 100,000-test map stay undecoded JSON text."""

    def __init__(self, raw: Mapping[str, str]) -> None:
        self._raw = dict(raw)
        self._decoded: dict[str, dict[str, Any]] = {}

    def __getitem__(self, key: str) -> dict[str, Any]:
        found = self._decoded.get(key)
        if found is None:
            found = self._decoded[key] = json.loads(self._raw[key])
        return found

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        self._raw[key] = ""
        self._decoded[key] = value

    def __delitem__(self, key: str) -> None:
        del self._raw[key]
        self._decoded.pop(key, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, key: object) -> bool:
        return key in self._raw


@dataclass
class TestMap:
    """Recorded tests, code units and data files. Test ids are pytest node ids."""

    __test__ = False

    tests: list[str] = field(default_factory=list)
    #: path -> {"blob": git blob id, "fingerprint": file digest, "units": {unit: fingerprint},
    #: "used": {unit: [test index]}}
    code: MutableMapping[str, dict[str, Any]] = field(default_factory=dict)
    #: path -> {"fingerprint": content digest, "used": [idx]}
    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: test file -> digest of its content when recorded
    test_files: dict[str, str] = field(default_factory=dict)
    toolchain: str = ""
    commit: str | None = None

    #: path -> recorded git blob id, read without decoding the code entries
    blobs: dict[str, str] = field(default_factory=dict)

    def blob_ids(self) -> Mapping[str, str]:
        if self.blobs or not self.code:
            return self.blobs
        return {path: str(entry.get("blob", "")) for path, entry in self.code.items()}

    def to_json(self) -> dict[str, Any]:
        """On disk, each code entry is JSON text of its own and the test ids one text: loading
        a large map decodes only what a selection reads."""
        return {
            "version": MAP_VERSION,
            "commit": self.commit,
            "toolchain": self.toolchain,
            "tests": "\n".join(self.tests),
            "test_files": self.test_files,
            "blobs": dict(self.blob_ids()),
            "code": {
                path: json.dumps(entry, separators=(",", ":")) for path, entry in self.code.items()
            },
            "data": self.data,
        }

    @classmethod
    def from_json(cls, raw: Any) -> TestMap:
        if not isinstance(raw, dict) or raw.get("version") != MAP_VERSION:
            raise ValueError(f"not a version-{MAP_VERSION} test map")
        tests = str(raw["tests"])
        return cls(
            tests=tests.split("\n") if tests else [],
            code=LazyEntries(raw["code"]),
            data=dict(raw["data"]),
            test_files=dict(raw["test_files"]),
            toolchain=str(raw.get("toolchain", "")),
            commit=raw.get("commit"),
            blobs=dict(raw["blobs"]),
        )


def load_map(path: Path) -> TestMap | None:
    """The map at ``path``, None when there is none; a corrupt map is a ``SelectionError``."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SelectionError(f"{path}: the test map cannot be read: {exc}") from None
    try:
        return TestMap.from_json(raw)
    except (ValueError, KeyError, TypeError) as exc:
        raise SelectionError(f"{path}: the test map is not valid: {exc}") from None


def save_map(test_map: TestMap, path: Path) -> None:
    """Write atomically: a reader never sees half a map."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".testmap-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(test_map.to_json(), out, separators=(",", ":"))
    os.replace(tmp, path)


@dataclass(frozen=True)
class MapHit:
    """A test the map selects, and why (the unit or data file that changed)."""

    test: str
    reason: str


@dataclass(frozen=True)
class MapSelection:
    hits: tuple[MapHit, ...]
    #: Files whose import-time code changed (or that no longer parse, or are gone): a test can
    #: depend on it without executing any of its lines in the test, so the import graph decides.
    unknown: tuple[str, ...] = ()


#: Files whose content pins the toolchain: a map recorded under other pins is stale.
TOOLCHAIN_FILES = (
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "Pipfile.lock",
    "requirements.txt",
    ".python-version",
)


def toolchain_digest(root: Path) -> str:
    parts = []
    for name in TOOLCHAIN_FILES:
        try:
            parts.append(f"{name}:{digest((root / name).read_bytes())}")
        except OSError:
            continue
    return digest("\n".join(parts))


def project_reader(root: Path) -> tuple[Callable[[str], str | None], Callable[[str], bytes | None]]:
    """Readers of the working tree's current files (None when a file is gone)."""

    def read_bytes(path: str) -> bytes | None:
        try:
            return (root / path).read_bytes()
        except OSError:
            return None

    def read_text(path: str) -> str | None:
        data = read_bytes(path)
        return None if data is None else data.decode("utf-8", "surrogateescape")

    return read_text, read_bytes


def select_by_map(
    test_map: TestMap,
    read_text: Callable[[str], str | None],
    read_bytes: Callable[[str], bytes | None],
    candidates: Iterable[str] | None = None,
) -> MapSelection:
    """Tests whose recorded units or data files differ from the working tree.

    The readers return a file's current content (None when deleted); ``candidates`` limits
    the comparison to files that may have changed since the recording (None: every file).
    """
    paths = set(candidates) if candidates is not None else None
    hits: dict[str, str] = {}
    unknown: list[str] = []
    code_paths = test_map.code if paths is None else sorted(p for p in paths if p in test_map.code)
    for path in code_paths:
        entry = test_map.code[path]
        text = read_text(path)
        for test, why in _code_hits(test_map, path, entry, text, unknown):
            hits.setdefault(test, why)
    for path, entry in test_map.data.items():
        if paths is not None and path not in paths:
            continue
        content = read_bytes(path)
        if content is not None and digest(content) == entry["fingerprint"]:
            continue
        state = "deleted" if content is None else "changed"
        for index in entry["used"]:
            hits.setdefault(test_map.tests[index], f"opened {path} ({state} since recorded)")
    return MapSelection(tuple(MapHit(t, w) for t, w in sorted(hits.items())), tuple(unknown))


def _code_hits(
    test_map: TestMap, path: str, entry: Mapping[str, Any], text: str | None, unknown: list[str]
) -> Iterable[tuple[str, str]]:
    if text is not None and digest(text) == entry["fingerprint"]:
        return
    used: Mapping[str, list[int]] = entry["used"]
    units = cut_units(text) if text is not None else None
    if units is None:
        unknown.append(path)
        state = "deleted" if text is None else "does not parse"
        for unit_tests in used.values():
            for index in unit_tests:
                yield test_map.tests[index], f"executed {path} ({state})"
        return
    recorded: Mapping[str, str] = entry["units"]
    if units.fingerprints.get(MODULE_UNIT) != recorded.get(MODULE_UNIT):
        unknown.append(path)
        for unit_tests in used.values():
            for index in unit_tests:
                yield test_map.tests[index], f"executed {path}, whose module-level code changed"
        return
    for unit, unit_tests in used.items():
        if units.fingerprints.get(unit) != recorded.get(unit):
            for index in unit_tests:
                yield test_map.tests[index], f"executed {unit} in {path} (changed)"
