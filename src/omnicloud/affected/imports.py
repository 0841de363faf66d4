"""The static Python import graph, parsed with ``ast`` and resolved over source roots.

Pure parts: ``parse_imports`` (source text -> raw import records), ``module_name`` (path ->
dotted name) and ``build_graph`` (records -> file-level edges). ``reach_changed`` walks the graph
backwards from the changed files once, so every provider's chain is a lookup. Importing
``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` too, so a module also depends on its
parent packages.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: (level, module, names): ``from ..a import b, c`` is (2, "a", ("b", "c")); ``import a.b``
#: is (0, "a.b", ()).
ImportRecord = tuple[int, str, tuple[str, ...]]
_LOADERS = frozenset({"import_module", "__import__"})
_DOTTED = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")


@dataclass(frozen=True)
class ParsedImports:
    """What one file imports; ``dynamic`` holds (line, code) of imports named at run time."""

    records: tuple[ImportRecord, ...] = ()
    dynamic: tuple[tuple[int, str], ...] = ()

    def to_json(self) -> list[object]:
        return [[[r[0], r[1], list(r[2])] for r in self.records], [list(d) for d in self.dynamic]]

    @classmethod
    def from_json(cls, data: Any) -> ParsedImports:
        """Inverse of ``to_json``; a malformed entry raises (the cache is then ignored)."""
        records = tuple([(r[0], r[1], tuple(r[2])) for r in data[0]])
        return cls(records, tuple([(d[0], d[1]) for d in data[1]]))


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
    return module_namer(roots)(path)


def module_namer(roots: Iterable[str]) -> Callable[[str], str | None]:
    """``module_name`` with the roots prepared once (it runs for every file of the project)."""
    prefixes = sorted(
        ("" if root.strip("/") in ("", ".") else root.strip("/") + "/" for root in roots),
        key=len,
        reverse=True,
    )

    def name(path: str) -> str | None:
        if not path.endswith(".py"):
            return None
        for prefix in prefixes:
            if path.startswith(prefix):
                dotted = path[len(prefix) : -3].replace("/", ".").removesuffix(".__init__")
                return dotted if _DOTTED.fullmatch(dotted) else None
        return None

    return name


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
    namer = module_namer(roots)
    names: dict[str, str] = {}
    for path in [*parsed, *ghosts]:
        name = namer(path)
        if name is not None:
            names.setdefault(path, name)
    modules: dict[str, str] = {}
    for path, name in names.items():
        modules.setdefault(name, path)
    resolver = _Resolver(modules)
    edges: dict[str, tuple[str, ...]] = {}
    for path, imports in parsed.items():
        targets = resolver.resolve(imports.records, names.get(path), path.endswith("__init__.py"))
        targets.discard(path)
        edges[path] = tuple(sorted(targets))
    dynamic = {path: p.dynamic for path, p in parsed.items() if p.dynamic}
    return ImportGraph(modules, names, edges, dynamic)


class _Resolver:
    """Resolves dotted names to files with their parent packages, memoised per name (the same
    names are imported by thousands of files)."""

    def __init__(self, modules: Mapping[str, str]) -> None:
        self.modules = modules
        self.memo: dict[str, tuple[str, ...]] = {}

    def with_parents(self, name: str) -> tuple[str, ...]:
        found = self.memo.get(name)
        if found is None:
            paths = []
            current = name
            while current:
                path = self.modules.get(current)
                if path is not None:
                    paths.append(path)
                current = current.rpartition(".")[0]
            found = self.memo[name] = tuple(paths)
        return found

    def resolve(
        self, records: Iterable[ImportRecord], name: str | None, is_package: bool
    ) -> set[str]:
        found: set[str] = set()
        if name is not None:  # a module runs its parent packages' __init__ first
            found.update(self.with_parents(name.rpartition(".")[0]))
        package = (name or "") if is_package else (name or "").rpartition(".")[0]
        for level, module, imported in records:
            base = _absolute(level, module, package)
            if not base:
                continue
            found.update(self.with_parents(base))
            for item in imported:  # `from a import b`: b may be the submodule a.b
                path = self.modules.get(f"{base}.{item}") if item != "*" else None
                if path is not None:
                    found.add(path)
        return found


def _absolute(level: int, module: str, package: str) -> str:
    """The absolute name of ``from <level dots><module> import ...`` inside ``package``."""
    if not level:
        return module
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return ""
    base_parts = parts[: len(parts) - (level - 1)]
    return ".".join([*base_parts, module] if module else base_parts)


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
