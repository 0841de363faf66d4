"""The static Python import graph, parsed with ``ast`` and resolved over source roots.

Pure parts: ``parse_imports`` (source text -> raw import records), ``module_name`` (path ->
dotted name) and ``build_graph`` (records -> file-level edges). ``reach_changed`` walks the graph
backwards from the changed files once, so every provider's chain is a lookup. Importing
``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` too, so a module also depends on its
parent packages.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: (level, module, names): ``from ..a import b, c`` is (2, "a", ("b", "c")); ``import a.b``
#: is (0, "a.b", ()).
ImportRecord = tuple[int, str, tuple[str, ...]]
_LOADERS = frozenset({"import_module", "__import__"})


@dataclass(frozen=True)
class ParsedImports:
    """What one file imports; ``dynamic`` holds (line, code) of imports named at run time."""

    records: tuple[ImportRecord, ...] = ()
    dynamic: tuple[tuple[int, str], ...] = ()

    def to_json(self) -> list[object]:
        return [[[r[0], r[1], list(r[2])] for r in self.records], [list(d) for d in self.dynamic]]

    @classmethod
    def from_json(cls, data: Any) -> ParsedImports:
        records = tuple((int(r[0]), str(r[1]), tuple(str(n) for n in r[2])) for r in data[0])
        return cls(records, tuple((int(d[0]), str(d[1])) for d in data[1]))


def parse_imports(source: str | bytes, filename: str = "<file>") -> ParsedImports:
    """Every import in a module, including those inside functions, ``if`` and ``try`` blocks.

    A file that does not parse is reported as one dynamic import: its imports are unknown.
    """
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError) as exc:
        return ParsedImports((), ((getattr(exc, "lineno", 0) or 0, "does not parse"),))
    records: list[ImportRecord] = []
    dynamic: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            records.extend((0, alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            records.append((node.level, node.module or "", tuple(a.name for a in node.names)))
        elif isinstance(node, ast.Call) and _loader_name(node.func) in _LOADERS:
            record = _constant_import(node)
            if record is None:
                dynamic.append((node.lineno, ast.unparse(node)[:80]))
            else:
                records.append(record)
    return ParsedImports(tuple(records), tuple(dynamic))


def _loader_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _constant_import(call: ast.Call) -> ImportRecord | None:
    """``import_module("a.b")`` or ``import_module(".b", "a")``: an import known statically."""
    args = [*call.args, *(k.value for k in call.keywords if k.arg in ("name", "package"))]
    if not args or not isinstance(args[0], ast.Constant) or not isinstance(args[0].value, str):
        return None
    name: str = args[0].value
    level = len(name) - len(name.lstrip("."))
    if level == 0:
        return (0, name, ())
    if len(args) > 1 and isinstance(args[1], ast.Constant) and isinstance(args[1].value, str):
        return (0, f"{args[1].value}.{name[level:]}".rstrip("."), ())
    return None


def module_name(path: str, roots: Iterable[str]) -> str | None:
    """``src/acme/kv/__init__.py`` -> ``acme.kv`` for root ``src`` (the longest root wins)."""
    if not path.endswith(".py"):
        return None
    for root in sorted(roots, key=lambda r: -len(r.strip("./"))):
        prefix = root.strip("/")
        prefix = "" if prefix in ("", ".") else prefix + "/"
        if not path.startswith(prefix):
            continue
        parts = path[len(prefix) : -3].split("/")
        if parts[-1] == "__init__":
            parts.pop()
        if parts and all(p.isidentifier() for p in parts):
            return ".".join(parts)
        return None
    return None


@dataclass(frozen=True)
class ImportGraph:
    """File-level import edges between the project's own Python files."""

    modules: Mapping[str, str]  # dotted name -> path
    names: Mapping[str, str]  # path -> dotted name
    edges: Mapping[str, tuple[str, ...]]  # path -> paths it imports
    dynamic: Mapping[str, tuple[tuple[int, str], ...]] = field(default_factory=dict)

    def path_of(self, module: str) -> str | None:
        return self.modules.get(module)

    def closure(self, start: str) -> set[str]:
        """Every file ``start`` imports, transitively, including itself."""
        seen = {start}
        queue = deque([start])
        while queue:
            for target in self.edges.get(queue.popleft(), ()):
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
        return seen


def build_graph(
    parsed: Mapping[str, ParsedImports], roots: Iterable[str], ghosts: Iterable[str] = ()
) -> ImportGraph:
    """Resolve import records to files. ``ghosts`` are deleted or renamed-away paths: code
    that still imports them depends on their change."""
    roots = list(roots)
    names: dict[str, str] = {}
    for path in [*parsed, *ghosts]:
        name = module_name(path, roots)
        if name is not None:
            names.setdefault(path, name)
    modules: dict[str, str] = {}
    for path, name in names.items():
        modules.setdefault(name, path)
    edges: dict[str, tuple[str, ...]] = {}
    for path, imports in parsed.items():
        targets = _resolve(imports.records, names.get(path), path.endswith("__init__.py"), modules)
        targets.discard(path)
        edges[path] = tuple(sorted(targets))
    dynamic = {path: p.dynamic for path, p in parsed.items() if p.dynamic}
    return ImportGraph(modules, names, edges, dynamic)


def _resolve(
    records: Iterable[ImportRecord], name: str | None, is_package: bool, modules: Mapping[str, str]
) -> set[str]:
    found: set[str] = set()
    if name is not None:  # a module runs its parent packages' __init__ first
        _add_with_parents(name.rpartition(".")[0], modules, found)
    package = (name or "") if is_package else (name or "").rpartition(".")[0]
    for level, module, imported in records:
        if level:
            parts = package.split(".") if package else []
            if level - 1 > len(parts):
                continue
            base_parts = parts[: len(parts) - (level - 1)]
            base = ".".join([*base_parts, module] if module else base_parts)
        else:
            base = module
        if not base:
            continue
        _add_with_parents(base, modules, found)
        for item in imported:  # `from a import b`: b may be the submodule a.b
            if item != "*" and f"{base}.{item}" in modules:
                found.add(modules[f"{base}.{item}"])
    return found


def _add_with_parents(name: str, modules: Mapping[str, str], found: set[str]) -> None:
    while name:
        path = modules.get(name)
        if path is not None:
            found.add(path)
        name = name.rpartition(".")[0]


def reach_changed(graph: ImportGraph, changed: Iterable[str]) -> dict[str, str | None]:
    """Files that import a changed file, transitively -> the next file on the shortest path
    towards a change (None for a changed file itself). One backwards breadth-first walk."""
    importers: dict[str, list[str]] = {}
    for source, targets in graph.edges.items():
        for target in targets:
            importers.setdefault(target, []).append(source)
    via: dict[str, str | None] = {}
    queue: deque[str] = deque()
    for path in sorted(changed):
        if path not in via:
            via[path] = None
            queue.append(path)
    while queue:
        current = queue.popleft()
        for importer in sorted(importers.get(current, ())):
            if importer not in via:
                via[importer] = current
                queue.append(importer)
    return via


def chain(via: Mapping[str, str | None], start: str) -> list[str]:
    """``[start, ..., changed file]`` following ``reach_changed``'s pointers."""
    path = [start]
    while (step := via.get(path[-1])) is not None:
        path.append(step)
    return path
