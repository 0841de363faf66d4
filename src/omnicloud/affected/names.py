"""Module-level changes followed by name: which tests read a constant, a class or an import
that changed, instead of every test file that imports its module.

A change at module level (``TAX_RATE = 0.25``) runs at import, outside any test, so no test
is recorded executing it; yet every test that reads the name depends on it. The map stores a
fingerprint per name bound at module level (``<module>:TAX_RATE``), so a selection knows which
names changed. From there, over the working tree's sources:

- in the changed file, the blocks that read a changed name select the tests that ran them; a
  changed class selects the tests that ran any of its methods; a module-level statement that
  reads a changed name changes the names it binds (``GROSS = 1 + TAX_RATE``);
- each file importing it (the import graph's edges) binds the changed names it imports
  (``from shop.pricing import TAX_RATE as RATE``: ``RATE``, ``*``: all) or reads them as
  attributes of the module (``pricing.TAX_RATE``), and the same follows there, file by file;
- in a test file, the test functions that read a changed name are selected (by node id); a
  fixture, a helper or module-level code that reads one selects the whole file;
- what cannot be followed by name (a statement that binds nothing, a name that went away, a
  file the map did not probe that reads a changed name, a ``conftest.py``) is left to the
  import graph from that file, as before: the safe side.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from omnicloud.affected.imports import ImportGraph, absolute_name
from omnicloud.affected.testmap import (
    MapHit,
    MapSelection,
    TestMap,
    blocks,
    functions,
    module_bindings,
    own_nodes,
    unit_text,
)

_TESTS = ("test",)


@dataclass
class Refs:
    """What a file reads of a change: names of its own, and attributes of module aliases."""

    names: set[str] = field(default_factory=set)
    attrs: set[str] = field(default_factory=set)
    aliases: set[str] = field(default_factory=set)
    origin: str = ""

    def read_by(self, nodes: Iterable[ast.AST]) -> set[str]:
        """The changed names these nodes read (an alias passed around whole reads them all)."""
        found: set[str] = set()
        bare = 0
        for node in nodes:
            if isinstance(node, ast.Name):
                if node.id in self.names and not isinstance(node.ctx, ast.Store):
                    found.add(node.id)  # a plain store does not read the old value
                elif node.id in self.aliases:
                    bare += 1
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                if node.target.id in self.names:  # ``X += 1`` reads X
                    found.add(node.target.id)
            elif isinstance(node, ast.Attribute):
                if node.attr in self.attrs:
                    found.add(node.attr)
                if isinstance(node.value, ast.Name) and node.value.id in self.aliases:
                    bare -= 1
        return found | (self.attrs if bare > 0 else set())


@dataclass(frozen=True)
class Spread:
    """Tests selected by name, and files left to the import graph."""

    hits: tuple[tuple[str, str], ...] = ()
    unknown: tuple[str, ...] = ()


class _Walk:
    def __init__(
        self,
        test_map: TestMap,
        graph: ImportGraph,
        read_text: Callable[[str], str | None],
        test_files: frozenset[str],
    ) -> None:
        self.map = test_map
        self.graph = graph
        self.read_text = read_text
        self.test_files = test_files
        self.hits: dict[str, str] = {}
        self.unknown: list[str] = []
        self.trees: dict[str, ast.Module | None] = {}
        self.importers: dict[str, list[str]] | None = None
        self.seen: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {}

    def tree(self, path: str) -> ast.Module | None:
        if path not in self.trees:
            text = self.read_text(path)
            try:
                self.trees[path] = ast.parse(text) if text is not None else None
            except (SyntaxError, ValueError):
                self.trees[path] = None
        return self.trees[path]

    def give_up(self, path: str) -> None:
        if path not in self.unknown:
            self.unknown.append(path)
        if path.rpartition("/")[2] == "conftest.py":  # its fixtures serve a whole folder
            folder = path.rpartition("/")[0]
            for test_file in sorted(self.test_files):
                if (
                    test_file.startswith(f"{folder}/" if folder else "")
                    and test_file not in self.unknown
                ):
                    self.unknown.append(test_file)

    def follow(self, path: str, refs: Refs) -> Iterator[tuple[str, Refs]]:
        """Select what ``path`` reads of ``refs``; yields the files importing what it rebinds."""
        key = (frozenset(refs.names), frozenset(refs.attrs), frozenset(refs.aliases))
        before = self.seen.get(path, (frozenset(), frozenset(), frozenset()))
        if all(k <= b for k, b in zip(key, before, strict=True)):
            return
        self.seen[path] = (before[0] | key[0], before[1] | key[1], before[2] | key[2])
        tree = self.tree(path)
        if tree is None:
            self.give_up(path)
            return
        if not self._module_level(path, tree, refs):
            self.give_up(path)
            return
        if path in self.test_files:
            self._test_file(path, tree, refs)
        elif path in self.map.code:
            self._probed(path, tree, refs)
        elif refs.read_by(n for s in tree.body if not _imports(s) for n in ast.walk(s)):
            self.give_up(path)  # not probed: who ran what is unknown
        if refs.names:
            yield from self._importers(path, refs)

    def _module_level(self, path: str, tree: ast.Module, refs: Refs) -> bool:
        """Grow ``refs.names`` with what module-level code rebinds from it; False when a
        statement that reads a changed name binds nothing (its effect cannot be followed)."""
        parts = list(_module_parts(tree.body))
        grown = True
        while grown:
            grown = False
            for nodes, bound in parts:
                if not refs.read_by(nodes):
                    continue
                if not bound:
                    return False
                if not bound <= refs.names:
                    refs.names |= bound
                    grown = True
        # ``pytestmark`` marks every test of a test file
        return path not in self.test_files or "pytestmark" not in refs.names

    def _probed(self, path: str, tree: ast.Module, refs: Refs) -> None:
        used: Mapping[str, list[int]] = self.map.code[path]["used"]
        classes = {n for n in refs.names if _is_class(tree, n)}
        for key, body, start, end, func in blocks(tree):
            nodes = [n for s in body[start:end] for n in own_nodes(s)]
            if func is not None:
                nodes += _header_nodes(func)
            read = refs.read_by(nodes) | {c for c in classes if key.startswith(f"{c}.")}
            if read:
                why = (
                    f"executed {unit_text(key)} in {path}, which reads"
                    f" {', '.join(sorted(read))} (changed at module level in {refs.origin})"
                )
                for index in used.get(key, ()):
                    self.hits.setdefault(self.map.tests[index], why)

    def _test_file(self, path: str, tree: ast.Module, refs: Refs) -> None:
        tests = [t for t in self.map.tests if t.partition("::")[0] == path]
        for name, func in functions(tree):
            read = refs.read_by(ast.walk(func))
            if not read:
                continue
            if not func.name.startswith(_TESTS):
                self.give_up(path)  # a fixture or helper: any test may use it
                return
            why = f"{path}::{name} reads {', '.join(sorted(read))} (changed in {refs.origin})"
            for test in tests:
                if test.partition("::")[2].partition("[")[0].replace("::", ".") == name:
                    self.hits.setdefault(test, why)

    def _importers(self, path: str, refs: Refs) -> Iterator[tuple[str, Refs]]:
        module = self.graph.names.get(path)
        if module is None:
            self.give_up(path)
            return
        if self.importers is None:
            self.importers = {}
            for source, targets in self.graph.edges.items():
                for target in targets:
                    self.importers.setdefault(target, []).append(source)
        for importer in sorted(self.importers.get(path, ())):
            tree = self.tree(importer)
            if tree is None:
                self.give_up(importer)
                continue
            found = _imported(tree, module, self._package(importer), refs.names)
            if found is None:
                self.give_up(importer)
            elif found.names or found.aliases:
                found.origin = refs.origin
                yield importer, found

    def _package(self, path: str) -> str:
        name = self.graph.names.get(path, "")
        return name if path.endswith("__init__.py") else name.rpartition(".")[0]


def _imported(tree: ast.Module, module: str, package: str, changed: set[str]) -> Refs | None:
    """What a file imports of ``module``'s changed names; None when it cannot be told."""
    refs = Refs()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = absolute_name(node.level, node.module or "", package)
            if node.level and not base:  # above the top-level package
                return None
            for alias in node.names:
                if base == module and alias.name == "*":
                    refs.names |= changed
                elif base == module and alias.name in changed:
                    refs.names.add(alias.asname or alias.name)
                elif f"{base}.{alias.name}" == module:
                    refs.aliases.add(alias.asname or alias.name)
                    refs.attrs |= changed
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == module or (
                    not alias.asname and module.startswith(f"{alias.name}.")
                ):
                    refs.aliases.add(alias.asname or alias.name.split(".")[0])
                    refs.attrs |= changed
    return refs


def _module_parts(body: list[ast.stmt]) -> Iterator[tuple[list[ast.AST], set[str]]]:
    """(nodes read, names bound) of each statement that runs at import, imports aside: class
    bodies opened (a class attribute is the class's), a function's header only."""
    for stmt in body:
        if isinstance(stmt, ast.ClassDef):
            header = [*stmt.bases, *stmt.keywords, *stmt.decorator_list]
            yield [n for part in header for n in ast.walk(part)], {stmt.name}
            for nodes, _bound in _module_parts(stmt.body):
                yield nodes, {stmt.name}
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            yield _header_nodes(stmt), {stmt.name}
        elif not _imports(stmt):
            yield list(ast.walk(stmt)), module_bindings(stmt)


def _header_nodes(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    parts: list[ast.AST] = [*func.decorator_list, func.args]
    if func.returns is not None:
        parts.append(func.returns)
    return [n for part in parts for n in ast.walk(part)]


def _imports(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Import | ast.ImportFrom)


def _is_class(tree: ast.Module, name: str) -> bool:
    return any(isinstance(s, ast.ClassDef) and s.name == name for s in tree.body)


def spread(
    test_map: TestMap,
    graph: ImportGraph,
    read_text: Callable[[str], str | None],
    changed: Mapping[str, set[str]],
    test_files: Iterable[str] = (),
) -> Spread:
    """Follow each file's changed module-level names (see the module's docstring)."""
    walk = _Walk(test_map, graph, read_text, frozenset(test_files) | frozenset(test_map.test_files))
    queue: deque[tuple[str, Refs]] = deque(
        (path, Refs(names=set(names), origin=path)) for path, names in sorted(changed.items())
    )
    while queue:
        path, refs = queue.popleft()
        queue.extend(walk.follow(path, refs))
    return Spread(tuple(sorted(walk.hits.items())), tuple(walk.unknown))


def follow_names(
    found: MapSelection,
    test_map: TestMap,
    graph: ImportGraph | None,
    read_text: Callable[[str], str | None],
    test_files: Iterable[str] = (),
) -> MapSelection:
    """The map's selection with its changed module-level names followed (``spread``); without
    an import graph, or should following fail, those files are left to the import graph."""
    changed = {path: set(names) for path, names in found.names}
    if not changed:
        return found
    try:
        if graph is None:
            raise LookupError("no import graph")
        result = spread(test_map, graph, read_text, changed, test_files)
    except Exception:  # fail safe: a bug here must never hide a test
        result = Spread(unknown=tuple(changed))
    hits = {hit.test: hit.reason for hit in found.hits}
    for test, why in result.hits:
        hits.setdefault(test, why)
    unknown = [*found.unknown, *(p for p in result.unknown if p not in found.unknown)]
    return MapSelection(
        tuple(MapHit(t, w) for t, w in sorted(hits.items())), tuple(unknown), found.names
    )
