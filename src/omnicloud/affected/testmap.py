"""The per-test map: which code units and data files each test used, keyed by content.

Recorded during a full run (``omnicloud affected --record``, see ``recorder.py``): probes at the
top of every block of the project's functions (``probes.py``) give the blocks each test
entered, Python's audit hook on ``open`` gives the non-code files it read. The units are those
blocks (``blocks``), ``<module>`` for code that runs at import, and ``<module>:NAME`` per name
bound at module level. Every unit is stored with a fingerprint of its syntax tree, every data
file with a hash of its content.

Selection compares the working tree with the recording, not with the base: a block whose source
differs (or is gone) selects the tests that ran it; changed module-level names are handed to
``names.py``, which follows them to their readers; a module-level change that binds nothing (a
call), a file that no longer parses or is gone, and a changed block that ran at import are left
to the import graph; a data file whose content differs selects the tests that opened it.
What the map has not seen (a new test, a new file) is left to the import graph. Everything here
is pure apart from ``load_map``/``save_map``.
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

MAP_VERSION = 3
DEFAULT_MAP = Path(".omnicloud/testmap.json")
MODULE_UNIT = "<module>"


@dataclass(frozen=True)
class Units:
    """A Python file cut into units, each with a fingerprint of its source."""

    fingerprints: Mapping[str, str]


#: A block: its unit key, the statement list holding it, where it starts and ends in that list,
#: and the function whose header it opens (None for any other block).
Block = tuple[str, list[ast.stmt], int, int, "ast.FunctionDef | ast.AsyncFunctionDef | None"]

_BLOCK_FIELDS = ("body", "orelse", "finalbody")
_ELIDED: list[ast.stmt] = [ast.Pass()]


def blob_id(data: bytes) -> str:
    """The id git gives a blob with this content (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def digest(text: str | bytes) -> str:
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def cut_units(text: str) -> Units | None:
    """Units of Python source, or None when it does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    return units_of(tree)


def units_of(tree: ast.Module) -> Units:
    """Fingerprint every block of every function (see ``blocks``) and the module-level code."""
    fingerprints = {
        key: block_fingerprint(body[start:end], func)
        for key, body, start, end, func in blocks(tree)
    }
    fingerprints[MODULE_UNIT] = digest("\n".join(_module_level(tree.body)))
    by_name: dict[str, list[str]] = {}
    for stmt in tree.body:
        for name in sorted(module_bindings(stmt)) or [""]:  # "": binds nothing (side effects)
            by_name.setdefault(name, []).append(_module_print(stmt))
    for name, parts in by_name.items():
        fingerprints[f"{MODULE_UNIT}:{name}"] = digest("\n".join(parts))
    return Units(fingerprints)


def _module_print(stmt: ast.stmt) -> str:
    """What a module-level statement runs at import (a function's body is its own units; its
    existence, decorators and defaults are here)."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        return shape(stmt)
    if isinstance(stmt, ast.ClassDef):
        methods = [
            shape(s) for s in stmt.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        return "\n".join([*_module_level([stmt]), *methods])
    return ast.dump(stmt)


def module_bindings(stmt: ast.stmt) -> set[str]:
    """Names a module-level statement binds (or mutates: ``X.append(1)`` changes ``X``)."""
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        return {a.asname or a.name.split(".")[0] for a in stmt.names}
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {stmt.name}
    if isinstance(stmt, ast.Expr):
        base = stmt.value.func if isinstance(stmt.value, ast.Call) else None
        if not isinstance(base, ast.Attribute):
            return set()
        while isinstance(base, ast.Attribute):
            base = base.value
        return {base.id} if isinstance(base, ast.Name) else set()
    found: set[str] = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            found.add(node.id)
        elif isinstance(node, ast.Attribute | ast.Subscript) and not isinstance(node.ctx, ast.Load):
            target: ast.expr = node
            while isinstance(target, ast.Attribute | ast.Subscript):
                target = target.value
            if isinstance(target, ast.Name):
                found.add(target.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            found |= {a.asname or a.name.split(".")[0] for a in node.names}
    return found


def changed_names(recorded: Mapping[str, str], current: Mapping[str, str]) -> set[str] | None:
    """Module-level names whose statements differ; None when the change cannot be followed by
    name (a statement that binds nothing changed, or a name went away)."""
    prefix = f"{MODULE_UNIT}:"
    before = {k[len(prefix) :]: v for k, v in recorded.items() if k.startswith(prefix)}
    after = {k[len(prefix) :]: v for k, v in current.items() if k.startswith(prefix)}
    if before.get("") != after.get("") or not before.keys() <= after.keys():
        return None
    return {name for name, value in after.items() if before.get(name) != value}


def own_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """The node and everything under it but its nested statement blocks (see ``shape``)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for name, value in ast.iter_fields(current):
            if isinstance(value, list):
                nested = name in _BLOCK_FIELDS and value and isinstance(value[0], ast.stmt)
                if not nested:
                    stack.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)


def blocks(tree: ast.Module) -> Iterator[Block]:
    """Every block of statements inside a function, outer before inner.

    A block runs from the top of a statement list, or from just after a compound statement
    (``if``, a loop, ``with``, ``try``, ``match``: control may leave from inside it), to the
    next such point. A function's first block is named after the function (``C.m``,
    ``f.inner``); the block after statement 2 is ``f+3``; a block nested in statement 1 (an
    ``if`` or ``else`` branch, a loop body, a handler) is ``f@1b`` (``b`` body, ``o`` else,
    ``f`` finally, ``h<n>`` handler, ``c<n>`` case), deeper ``f@1b.0o``. A test that never
    entered a block cannot depend on its code: the recorder probes blocks, not lines.
    """
    for name, func in functions(tree):
        yield from _segments(name, func.body, func)


def _segments(
    key: str, body: list[ast.stmt], func: ast.FunctionDef | ast.AsyncFunctionDef | None
) -> Iterator[Block]:
    starts = [0, *(i + 1 for i, stmt in enumerate(body[:-1]) if _compound(stmt))]
    ends = [*starts[1:], len(body)]
    for start, end in zip(starts, ends, strict=True):
        yield (f"{key}+{start}" if start else key), body, start, end, None if start else func
    inner = f"{key}." if "@" in key else f"{key}@"
    for index, stmt in enumerate(body):
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):  # a unit of its own
            for tag, block in _child_blocks(stmt):
                yield from _segments(f"{inner}{index}{tag}", block, None)


def _compound(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    return next(_child_blocks(stmt), None) is not None


def _child_blocks(stmt: ast.stmt) -> Iterator[tuple[str, list[ast.stmt]]]:
    for name in _BLOCK_FIELDS:
        value = getattr(stmt, name, None)
        if isinstance(value, list) and value:  # an empty else is no block
            yield name[0], value
    for number, handler in enumerate(getattr(stmt, "handlers", ())):
        yield f"h{number}", handler.body
    for number, case in enumerate(getattr(stmt, "cases", ())):
        yield f"c{number}", case.body


def block_fingerprint(
    body: list[ast.stmt], func: ast.FunctionDef | ast.AsyncFunctionDef | None = None
) -> str:
    """A block's own code: its statements with their nested blocks elided, and for a function's
    body, the header (decorators, signature, defaults) that runs with it."""
    parts = [shape(func)] if func is not None else []
    return digest("\n".join([*parts, *(shape(stmt) for stmt in body)]))


def shape(node: ast.AST) -> str:
    """``ast.dump`` of a node whose nested statement blocks are each one placeholder: a
    condition, a loop's iterable, an exception type is its own; what runs inside is not."""
    swapped: list[tuple[ast.AST, str, Any]] = []
    holders = [node, *getattr(node, "handlers", ()), *getattr(node, "cases", ())]
    for holder in holders:
        for name in _BLOCK_FIELDS:
            value = getattr(holder, name, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                swapped.append((holder, name, value))
                setattr(holder, name, _ELIDED)
    try:
        return ast.dump(node)
    finally:
        for holder, name, value in swapped:
            setattr(holder, name, value)


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


def functions(tree: ast.Module) -> Iterable[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
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
    #: Files whose import-time code changed in a way that cannot be followed by name (or that
    #: no longer parse, or are gone): the import graph decides.
    unknown: tuple[str, ...] = ()
    #: Files whose module-level names changed: ``names.spread`` follows them to their readers.
    names: tuple[tuple[str, tuple[str, ...]], ...] = ()


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
    names: dict[str, tuple[str, ...]] = {}
    code_paths = test_map.code if paths is None else sorted(p for p in paths if p in test_map.code)
    for path in code_paths:
        entry = test_map.code[path]
        text = read_text(path)
        for test, why in _code_hits(test_map, path, entry, text, unknown=unknown, names=names):
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
    return MapSelection(
        tuple(MapHit(t, w) for t, w in sorted(hits.items())),
        tuple(unknown),
        tuple(sorted(names.items())),
    )


def _code_hits(
    test_map: TestMap,
    path: str,
    entry: Mapping[str, Any],
    text: str | None,
    *,
    unknown: list[str],
    names: dict[str, tuple[str, ...]],
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
        changed_here = changed_names(recorded, units.fingerprints)
        if changed_here is None:
            unknown.append(path)
            for unit_tests in used.values():
                for index in unit_tests:
                    yield test_map.tests[index], f"executed {path}, whose module-level code changed"
            return
        names[path] = tuple(sorted(changed_here))
    outside = set(entry.get("outside", ()))
    changed = {
        u for u in recorded.keys() | units.fingerprints.keys() if not u.startswith(MODULE_UNIT)
    }
    changed = {u for u in changed if units.fingerprints.get(u) != recorded.get(u)}
    if changed & outside:  # it ran at import or collection: what it built is anyone's
        unknown.append(path)
    for unit in sorted(changed):
        for index in used.get(unit, ()):
            yield test_map.tests[index], f"executed {unit_text(unit)} in {path} (changed)"


def unit_text(unit: str) -> str:
    function = unit.partition("@")[0].partition("+")[0]
    return f"a block of {function}" if function != unit else unit
