"""The static Python import graph, parsed with ``ast`` and resolved over source roots.

Pure parts: ``parse_imports`` (source text -> import records), ``module_name`` (path -> dotted
name), ``build_graph`` (records -> file-level edges) and ``reach_changed`` (one backwards walk
from the changed files, so every provider's chain is a lookup).

Two ways of depending on a file are told apart, because Python runs them differently:

- a file is *imported* (``import a.b``, ``from a.b import f``): its code runs and its functions
  may be called, so everything it imports counts, including imports inside functions;
- a package ``__init__.py`` is only *run as a parent* (importing ``a.b.c`` runs
  ``a/__init__.py`` and ``a/b/__init__.py`` first): only its module-level imports run. A lazy
  ``__getattr__`` in a package's ``__init__.py`` therefore does not make every module below it
  depend on everything it could load.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

#: (level, module, names, lazy): ``from ..a import b, c`` is (2, "a", ("b", "c"), False);
#: ``import a.b`` inside a function is (0, "a.b", (), True).
ImportRecord = tuple[int, str, tuple[str, ...], bool]
#: (line, code, lazy) of an import whose module is named at run time.
DynamicImport = tuple[int, str, bool]
#: A file in a walk, and whether it was imported (True) or only run as a parent package.
Node = tuple[str, bool]

_LOADERS = frozenset({"import_module", "__import__"})
_DOTTED = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


@dataclass(frozen=True)
class ParsedImports:
    """What one file imports, and the imports it cannot resolve (``dynamic``)."""

    records: tuple[ImportRecord, ...] = ()
    dynamic: tuple[DynamicImport, ...] = ()

    def to_json(self) -> list[object]:
        return [
            [[r[0], r[1], list(r[2]), r[3]] for r in self.records],
            [list(d) for d in self.dynamic],
        ]

    @classmethod
    def from_json(cls, data: Any) -> ParsedImports:
        """Inverse of ``to_json``; a malformed entry raises (the cache is then ignored)."""
        records = tuple([(r[0], r[1], tuple(r[2]), r[3]) for r in data[0]])
        return cls(records, tuple([(d[0], d[1], d[2]) for d in data[1]]))


def parse_imports(source: str | bytes, filename: str = "<file>") -> ParsedImports:
    """Every import in a module: at module level, in ``if``/``try`` blocks, in class bodies and
    inside functions (marked lazy); ``importlib.import_module`` and ``__import__`` with constant
    names, or with names looked up in a module-level table of constant strings.

    A file that does not parse is reported as one dynamic import: its imports are unknown.
    """
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError) as exc:
        return ParsedImports((), ((getattr(exc, "lineno", 0) or 0, "does not parse", False),))
    tables = _constant_tables(tree)
    records: list[ImportRecord] = []
    dynamic: list[DynamicImport] = []
    for node, lazy in _walk(tree):
        if isinstance(node, ast.Import):
            records.extend((0, alias.name, (), lazy) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names = tuple(a.name for a in node.names)
            records.append((node.level, node.module or "", names, lazy))
        elif isinstance(node, ast.Call) and _loader_name(node.func) in _LOADERS:
            known = _static_targets(node, tables)
            if known is None:
                dynamic.append((node.lineno, ast.unparse(node)[:80], lazy))
            else:
                records.extend((0, name, (), lazy) for name in known)
    return ParsedImports(tuple(records), tuple(dynamic))


def _walk(tree: ast.AST) -> Iterator[tuple[ast.AST, bool]]:
    """Every node, and whether it only runs when a function is called."""
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, lazy = stack.pop()
        yield node, lazy
        inner = lazy or isinstance(node, _FUNCTIONS)
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))


def _constant_tables(tree: ast.Module) -> dict[str, tuple[str, ...]]:
    """Module-level ``NAME = {...}`` / ``[...]`` / ``(...)`` whose values are all strings."""
    tables: dict[str, tuple[str, ...]] = {}
    for statement in tree.body:
        if not isinstance(statement, ast.Assign | ast.AnnAssign) or statement.value is None:
            continue
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        value = statement.value
        items = value.values if isinstance(value, ast.Dict) else getattr(value, "elts", None)
        if not isinstance(value, ast.Dict | ast.List | ast.Tuple | ast.Set) or not items:
            continue
        strings = [
            i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)
        ]
        if len(strings) == len(items):
            for target in targets:
                if isinstance(target, ast.Name):
                    tables[target.id] = tuple(dict.fromkeys(strings))
    return tables


def _loader_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _static_targets(call: ast.Call, tables: Mapping[str, tuple[str, ...]]) -> list[str] | None:
    """The modules a loader call can import, when that is known without running it:
    ``import_module("a.b")``, ``import_module(".b", "a")``, ``import_module(TABLE[name])``."""
    args = [*call.args, *(k.value for k in call.keywords if k.arg in ("name", "package"))]
    if not args:
        return None
    first = args[0]
    table = _table_lookup(first)
    if table is not None and table in tables:
        return [name for name in tables[table] if not name.startswith(".")]
    if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
        return None
    name: str = first.value
    level = len(name) - len(name.lstrip("."))
    if level == 0:
        return [name]
    if len(args) > 1 and isinstance(args[1], ast.Constant) and isinstance(args[1].value, str):
        return [f"{args[1].value}.{name[level:]}".rstrip(".")]
    return None


def _table_lookup(node: ast.expr) -> str | None:
    """``TABLE[key]`` or ``TABLE.get(key)`` -> ``"TABLE"``."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        return node.value.id
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Name)
    ):
        return node.func.value.id
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
    edges: Mapping[str, tuple[str, ...]]  # path -> files it imports (anywhere in it)
    eager: Mapping[str, tuple[str, ...]]  # path -> files its module-level code imports
    parents: Mapping[str, tuple[str, ...]]  # path -> its nearest parent package __init__
    dynamic: Mapping[str, tuple[DynamicImport, ...]] = field(default_factory=dict)

    def path_of(self, module: str) -> str | None:
        return self.modules.get(module)

    def successors(self, node: Node) -> Iterator[Node]:
        path, imported = node
        for target in (self.edges if imported else self.eager).get(path, ()):
            yield target, True
        for parent in self.parents.get(path, ()):
            yield parent, False

    def closure(self, start: str) -> dict[str, bool]:
        """Every file importing ``start`` runs -> whether it is imported (True) or only run
        as a parent package (False)."""
        seen: set[Node] = {(start, True)}
        queue = deque(seen)
        while queue:
            for successor in self.successors(queue.popleft()):
                if successor not in seen:
                    seen.add(successor)
                    queue.append(successor)
        found: dict[str, bool] = {}
        for path, imported in seen:
            found[path] = found.get(path, False) or imported
        return found

    def active_dynamic(self, path: str, imported: bool) -> tuple[DynamicImport, ...]:
        """Dynamic imports that run: all of an imported file's, a parent's module-level ones."""
        return tuple(d for d in self.dynamic.get(path, ()) if imported or not d[2])


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
    eager: dict[str, tuple[str, ...]] = {}
    parents: dict[str, tuple[str, ...]] = {}
    for path, imports in parsed.items():
        name = names.get(path)
        package = name if path.endswith("__init__.py") else (name or "").rpartition(".")[0]
        every, module_level = resolver.resolve(imports.records, package or "")
        every.discard(path)
        module_level.discard(path)
        edges[path] = tuple(sorted(every))
        eager[path] = tuple(sorted(module_level))
        if name is not None and "." in name:
            parents[path] = resolver.nearest(name.rpartition(".")[0])
    dynamic = {path: p.dynamic for path, p in parsed.items() if p.dynamic}
    return ImportGraph(modules, names, edges, eager, parents, dynamic)


class _Resolver:
    """Resolves dotted names to files, memoised per name (thousands of files import the same
    names)."""

    def __init__(self, modules: Mapping[str, str]) -> None:
        self.modules = modules
        self.memo: dict[str, tuple[str, ...]] = {}

    def nearest(self, name: str) -> tuple[str, ...]:
        """The file of ``name`` or of its nearest existing parent (namespace packages have
        none), as a 0- or 1-tuple."""
        found = self.memo.get(name)
        if found is None:
            current = name
            while current and current not in self.modules:
                current = current.rpartition(".")[0]
            found = self.memo[name] = (self.modules[current],) if current else ()
        return found

    def resolve(self, records: Iterable[ImportRecord], package: str) -> tuple[set[str], set[str]]:
        """(files imported anywhere, files imported by module-level code)."""
        every: set[str] = set()
        module_level: set[str] = set()
        for level, module, imported, lazy in records:
            base = absolute_name(level, module, package)
            if not base:
                continue
            targets = self._targets(base, imported)
            every.update(targets)
            if not lazy:
                module_level.update(targets)
        return every, module_level

    def _targets(self, base: str, imported: tuple[str, ...]) -> list[str]:
        # `from a import b`: b may be the submodule a.b; a itself counts only when something
        # other than submodules is taken from it (otherwise it just runs, as a parent)
        submodules = [self.modules.get(f"{base}.{item}") for item in imported if item != "*"]
        targets = [path for path in submodules if path is not None]
        if not imported or None in submodules or "*" in imported:
            targets.extend(self.nearest(base))
        return targets


def absolute_name(level: int, module: str, package: str) -> str:
    """The absolute name of ``from <level dots><module> import ...`` inside ``package``."""
    if not level:
        return module
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return ""
    base_parts = parts[: len(parts) - (level - 1)]
    return ".".join([*base_parts, module] if module else base_parts)


@dataclass(frozen=True)
class Reach:
    """The result of one backwards walk: which files lead to a change, and the next step."""

    via: Mapping[Node, Node | None]

    def __contains__(self, path: object) -> bool:
        return (path, True) in self.via

    def changed(self, path: str) -> bool:
        return (path, True) in self.via and self.via[(path, True)] is None

    def chain(self, start: str) -> list[str]:
        """``[start, ..., changed file]``: the shortest path from an import of ``start``."""
        steps = [start]
        node = self.via.get((start, True))
        while node is not None:
            steps.append(node[0])
            node = self.via.get(node)
        return steps


def reach_changed(graph: ImportGraph, changed: Iterable[str]) -> Reach:
    """Every (file, imported?) from which a changed file is reached, with the next step on the
    shortest path towards it. One backwards breadth-first walk over both kinds of edges."""
    return _reach(graph, [(path, state) for path in changed for state in (True, False)])


def reach_dynamic(graph: ImportGraph) -> Reach:
    """Every (file, imported?) from which a dynamic import that runs is reached."""
    seeds = [(path, True) for path in graph.dynamic]
    seeds += [(p, False) for p, found in graph.dynamic.items() if any(not d[2] for d in found)]
    return _reach(graph, seeds)


def _reach(graph: ImportGraph, seeds: Iterable[Node]) -> Reach:
    predecessors: dict[Node, list[Node]] = {}
    for path in sorted(graph.edges):  # sorted: the same shortest chain on every run
        for node in ((path, True), (path, False)):
            for successor in graph.successors(node):
                predecessors.setdefault(successor, []).append(node)
    via: dict[Node, Node | None] = {}
    queue: deque[Node] = deque()
    for seed in sorted(seeds):
        if seed not in via:
            via[seed] = None
            queue.append(seed)
    while queue:
        current = queue.popleft()
        for node in predecessors.get(current, ()):
            if node not in via:
                via[node] = current
                queue.append(node)
    return Reach(via)
