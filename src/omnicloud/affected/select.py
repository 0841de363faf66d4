"""The pure selector: (config, changes, import graph, suite sources) -> Selection.

Every rule kind is one function in ``RULES`` that yields ``Hit``s: which provider or test file,
and why, in words a reviewer can check (``redis-kv <- src/acme/kv/redis.py imports
src/acme/net/pool.py (modified)``). No I/O happens here; ``omnicloud.affected.run`` gathers the
inputs at the edge.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from omnicloud.affected.changes import ChangeSet, FileChange
from omnicloud.affected.globs import glob_match
from omnicloud.affected.imports import ImportGraph, Reach, reach_changed, reach_dynamic
from omnicloud.affected.testmap import MapSelection, TestMap
from omnicloud.config.models import MAPPING_GROUP, Config, MappingRule

Kind = Literal["provider", "tests"]

#: Lock files and toolchain pins: a change to one can change any test's outcome, so (with the
#: ``always`` rule on) it runs everything, like ``affected.always``.
TOOLCHAIN = (
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "Pipfile",
    "Pipfile.lock",
    "**/*requirements*.txt",
    "requirements/",
    "**/*constraints*.txt",
    "setup.py",
    "setup.cfg",
    "tox.ini",
    "pytest.ini",
    ".python-version",
    ".tool-versions",
    "runtime.txt",
)


@dataclass(frozen=True)
class Reason:
    """One justification: the rule kind and the chain of evidence, after ``<-``."""

    rule: str
    text: str


@dataclass(frozen=True)
class Item:
    """A selected provider or plain test file. ``tests`` narrows it to those test functions
    (``-k`` names for a provider, node ids for a test file); empty means all of it."""

    kind: Kind
    name: str
    reasons: tuple[Reason, ...]
    tests: tuple[str, ...] = ()

    @property
    def justification(self) -> str:
        return f"{self.name} <- {self.reasons[0].text}"


@dataclass(frozen=True)
class Selection:
    """What ``affected`` runs and why; ``full_run`` says why everything runs."""

    base: str
    merge_base: str | None
    providers: tuple[Item, ...] = ()
    tests: tuple[Item, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    changed: tuple[FileChange, ...] = ()
    full_run: str | None = None
    #: What an empty selection was checked against (said whenever nothing is selected).
    looked_at: str = ""
    #: True when nothing could have been selected (no provider, no test file): not a clean bill.
    blind: bool = False

    @property
    def empty(self) -> bool:
        return not self.providers and not self.tests


@dataclass(frozen=True)
class PreviousConfig:
    """The configuration at the merge base, or why it could not be read."""

    config: Config | None
    problem: str | None = None


@dataclass(frozen=True)
class SuiteSource:
    """A module a provider's test run is built from: suite, policy mixin or adapter."""

    label: str  # "contract kv_store suite", "policy multi_tenancy suite", "kv_store adapter"
    module: str
    narrowable: bool = True  # only test modules can be narrowed to test functions


@dataclass(frozen=True)
class SelectorInput:
    """Everything the selector reads; built at the edge, plain data."""

    config: Config
    changes: ChangeSet
    graph: ImportGraph | None = None
    suites: Mapping[str, tuple[SuiteSource, ...]] = field(default_factory=dict)
    config_path: str | None = None
    previous: PreviousConfig | None = None
    test_files: tuple[str, ...] = ()
    known_files: frozenset[str] = frozenset()
    test_changes: Mapping[str, frozenset[str] | None] = field(default_factory=dict)
    failures: Mapping[str, int] = field(default_factory=dict)
    durations: Mapping[str, float] = field(default_factory=dict)
    test_map: MapView | None = None


@dataclass(frozen=True)
class MapView:
    """The per-test map and what it selects against the working tree (``testmap.py``)."""

    test_map: TestMap
    selection: MapSelection
    path: str = ""

    def by_file(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for hit in self.selection.hits:
            out.setdefault(hit.test.partition("::")[0], {})[hit.test] = hit.reason
        return out


@dataclass(frozen=True)
class Hit:
    kind: Kind
    name: str
    reason: Reason
    tests: frozenset[str] | None = None  # None: the whole item
    note: str | None = None


@dataclass
class _Context:
    data: SelectorInput
    touched: dict[str, FileChange]
    via: Reach

    @property
    def config(self) -> Config:
        return self.data.config


def select(data: SelectorInput) -> Selection:
    """Apply every enabled rule kind and merge the hits into one selection (ordered by the
    input's failures and durations; ``prioritise`` reorders an existing selection)."""
    changes = data.changes
    base = Selection(
        changes.base.ref, changes.merge_base, changed=changes.changes, warnings=changes.warnings
    )
    if changes.full_run is not None:
        return _everything(data, base, Reason("full", f"full run: {changes.full_run}"))
    touched = changes.by_path()
    always = _always(data.config, touched)
    if always is not None:
        return _everything(data, base, always)
    via = reach_changed(data.graph, touched) if data.graph else Reach({})
    context = _Context(data, touched, via)
    hits: list[Hit] = []
    for name in data.config.affected.rules:
        rule = RULES.get(name)
        if rule is None:
            continue
        try:
            hits.extend(rule(context))
        except Exception as exc:  # fail safe: a selector bug must never hide a test
            why = f"full run: the '{name}' rule failed ({type(exc).__name__}: {exc})"
            return _everything(data, base, Reason("full", why))
    return _looked_at(data, _merge(data, base, hits))


def _looked_at(data: SelectorInput, selection: Selection) -> Selection:
    if not selection.empty:
        return selection
    providers = sum(1 for _ in _enabled(data.config))
    roots = data.config.affected.test_paths
    count = len(data.changes.changes)
    text = (
        f"{count} changed file{'s' if count != 1 else ''} against {providers} provider(s)"
        f" ({', '.join(r for r in data.config.affected.rules if r != 'tests')}) and"
        f" {len(data.test_files)} test file(s) under test_paths {roots}"
    )
    return replace(selection, looked_at=text, blind=count > 0 and not providers and not roots)


def _everything(data: SelectorInput, base: Selection, reason: Reason) -> Selection:
    providers = tuple(
        Item("provider", n, (reason,)) for n, p in data.config.providers.items() if p.enabled
    )
    tests = tuple(Item("tests", t, (reason,)) for t in data.test_files)
    return Selection(
        base.base,
        base.merge_base,
        _prioritise(providers, data),
        _prioritise(tests, data),
        (),
        base.warnings,
        base.changed,
        full_run=reason.text,
    )


def _always(config: Config, touched: Mapping[str, FileChange]) -> Reason | None:
    if "always" not in config.affected.rules:
        return None
    for path, change in sorted(touched.items()):
        for glob in config.affected.always:
            if _glob_hits(path, change, glob):
                return Reason("always", f"{change.describe()} matches always '{glob}'")
    for path, change in sorted(touched.items()):
        for glob in TOOLCHAIN:
            if _glob_hits(path, change, glob):
                return Reason(
                    "always",
                    f"{change.describe()} is a lock file or toolchain pin ('{glob}'): any test"
                    " may change",
                )
    return None


# -- rule kinds -------------------------------------------------------------------------------


def rule_paths(ctx: _Context) -> Iterator[Hit]:
    """A provider's ``paths`` globs match a changed file."""
    yield from _glob_rule(ctx, "paths")


def rule_inputs(ctx: _Context) -> Iterator[Hit]:
    """A provider's declared non-code ``inputs`` (data files, lockfiles) match a changed file."""
    yield from _glob_rule(ctx, "inputs")


def _glob_rule(ctx: _Context, key: Literal["paths", "inputs"]) -> Iterator[Hit]:
    for name, provider in _enabled(ctx.config):
        for glob in getattr(provider, key):
            for path, change in sorted(ctx.touched.items()):
                if _glob_hits(path, change, glob):
                    yield Hit(
                        "provider", name, Reason(key, f"{change.describe()} matches {key} '{glob}'")
                    )


def rule_imports(ctx: _Context) -> Iterator[Hit]:
    """The provider's factory module imports a changed file, transitively; a dynamic import in
    that code makes the selection conservative."""
    graph = ctx.data.graph
    if graph is None:
        return
    # files that can reach a dynamic import: only their providers need a closure walk
    near_dynamic = reach_dynamic(graph) if graph.dynamic else Reach({})
    for name, provider in _enabled(ctx.config):
        module = provider.factory.partition(":")[0]
        start = graph.path_of(module)
        if start is None:
            continue
        if start in ctx.via:
            yield Hit("provider", name, Reason("imports", _chain_text(ctx, start)))
        if start in near_dynamic:
            yield from _dynamic_hits(ctx, name, graph, start)


def _dynamic_hits(ctx: _Context, name: str, graph: ImportGraph, start: str) -> Iterator[Hit]:
    policy = ctx.config.affected.dynamic_imports
    for path, imported in sorted(graph.closure(start).items()):
        for line, code, _lazy in graph.active_dynamic(path, imported):
            where = f"{path}:{line} imports a module named at run time ({code})"
            folder = path.rpartition("/")[0] + "/" if "/" in path else ""
            scope = "" if policy == "everything" else folder
            note = f"{name}: {where}; selected for any change" + (
                f" under {scope or './'}" if policy == "package" else ""
            )
            for changed, change in sorted(ctx.touched.items()):
                if changed.startswith(scope):
                    text = (
                        f"{where}; {change.describe()} is under {scope or './'}"
                        if policy == "package"
                        else f"{where}; {change.describe()}"
                    )
                    yield Hit("provider", name, Reason("imports", text), note=note)
                    break
            else:
                yield Hit("provider", name, Reason("imports", ""), note=note)


def rule_contracts(ctx: _Context) -> Iterator[Hit]:
    """A contract suite, policy mixin or adapter the provider runs under changed."""
    graph = ctx.data.graph
    if graph is None:
        return
    for name, _provider in _enabled(ctx.config):
        for source in ctx.data.suites.get(name, ()):
            path = graph.path_of(source.module)
            if path is None or path not in ctx.via:
                continue
            steps = ctx.via.chain(path)
            narrowed = ctx.data.test_changes.get(path) if len(steps) == 1 else None
            if not source.narrowable or not ctx.config.affected.test_level:
                narrowed = None
            if narrowed is not None:
                narrowed = frozenset(t.rpartition("::")[2] for t in narrowed)
            yield Hit(
                "provider",
                name,
                Reason("contracts", f"{source.label} {_chain_text(ctx, path)}"),
                narrowed,
            )


def rule_config(ctx: _Context) -> Iterator[Hit]:
    """``omnicloud.toml`` changed: only providers whose effective configuration differs."""
    path = ctx.data.config_path
    if path is None or path not in ctx.touched:
        return
    change = ctx.touched[path].describe()
    previous = ctx.data.previous
    if previous is None or previous.config is None:
        problem = previous.problem if previous else "could not be read"
        for name, _ in _enabled(ctx.config):
            yield Hit(
                "provider",
                name,
                Reason("config", f"{change}: the version at the merge base {problem}"),
            )
        return
    for name, _ in _enabled(ctx.config):
        if name not in previous.config.providers:
            yield Hit("provider", name, Reason("config", f"{change}: provider {name} added"))
            continue
        keys = config_differences(previous.config, ctx.config, name)
        if keys:
            shown = ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
            yield Hit("provider", name, Reason("config", f"{change}: {shown} changed"))


def mapped_tests(
    mappings: Iterable[MappingRule], paths: Iterable[str]
) -> Iterator[tuple[str, MappingRule, str]]:
    """Seed 004 mapping rules applied to changed ``paths``: ``(path, rule, test file)`` for each
    path a rule's ``source_pattern`` matches whole (pure; the Python API uses it too)."""
    ordered = sorted(paths)
    for mapping in mappings:
        pattern = re.compile(mapping.source_pattern)
        for path in ordered:
            match = pattern.fullmatch(path)
            if match is not None:
                yield path, mapping, expand_test_pattern(mapping.test_pattern, match)


def rule_mappings(ctx: _Context) -> Iterator[Hit]:
    """Seed 004 mapping rules: ``source_pattern`` (regex) -> ``test_pattern`` (with groups)."""
    for path, mapping, target in mapped_tests(ctx.config.affected.mappings, ctx.touched):
        change = ctx.touched[path]
        text = f"{change.describe()} maps by '{mapping.source_pattern}' -> '{mapping.test_pattern}'"
        if target in ctx.data.known_files:
            yield Hit("tests", target, Reason("mappings", text))
        else:
            yield Hit(
                "tests",
                target,
                Reason("mappings", ""),
                note=f"{text}, but {target} does not exist",
            )


def rule_tests(ctx: _Context) -> Iterator[Hit]:
    """Plain test files (``affected.test_paths``) that changed or import a changed file; with a
    per-test map, down to the tests that executed changed code or opened changed data."""
    graph = ctx.data.graph
    view = ctx.data.test_map
    known = frozenset(view.test_map.test_files) if view is not None else frozenset()
    # A test file that changed is narrowed to its changed tests only when it reaches no other
    # change: the changes elsewhere may break any of its tests.
    elsewhere = [p for p in ctx.touched if p not in ctx.data.test_files]
    others = reach_changed(graph, elsewhere) if graph is not None and elsewhere else Reach({})
    for test_file in ctx.data.test_files:
        if test_file in known:
            continue
        if test_file in others:
            yield Hit("tests", test_file, Reason("tests", _chain_text(ctx, test_file, others)))
        elif test_file in ctx.via:
            yield _own_changes(ctx, test_file)
    if view is not None and graph is not None:
        yield from _tests_by_map(ctx, view, graph, known)


def _own_changes(ctx: _Context, test_file: str) -> Hit:
    narrowed = None
    if ctx.via.changed(test_file) and ctx.config.affected.test_level:
        narrowed = ctx.data.test_changes.get(test_file)
    if narrowed is not None:
        narrowed = frozenset(f"{test_file}::{t}" for t in narrowed)
    return Hit("tests", test_file, Reason("tests", _chain_text(ctx, test_file)), narrowed)


def _tests_by_map(
    ctx: _Context, view: MapView, graph: ImportGraph, known: frozenset[str]
) -> Iterator[Hit]:
    """Test files the map recorded: the map's tests; the file's own changed tests (new ones
    included); the whole file when it reaches a changed file the map has never seen (new code,
    code that runs only at import)."""
    unseen = [p for p in ctx.touched if p not in view.test_map.code]
    unseen += [p for p in view.selection.unknown if p not in unseen]
    # Test modules are not probed: a recorded one that changed is judged by its diff, and is
    # unseen code only for the files importing it.
    edited = [p for p in unseen if p in known and p not in view.selection.unknown]
    code = [p for p in unseen if p not in edited]
    via_code = reach_changed(graph, code) if code else Reach({})
    via_edited = reach_changed(graph, edited) if edited else Reach({})
    hits = view.by_file()
    for test_file in ctx.data.test_files:
        if test_file not in known:
            continue
        via = _unvouched(test_file, via_code, via_edited, graph)
        if via is not None:
            chain = _chain_text(ctx, test_file, via)
            yield Hit(
                "tests", test_file, Reason("tests", f"{chain}: code the test map cannot vouch for")
            )
        if ctx.via.changed(test_file):
            yield _own_changes(ctx, test_file)
        found = hits.get(test_file)
        if found:
            first, why = sorted(found.items())[0]
            more = f" (and {len(found) - 1} more test(s))" if len(found) > 1 else ""
            yield Hit("tests", test_file, Reason("map", f"{first} {why}{more}"), frozenset(found))


def _unvouched(
    test_file: str, via_code: Reach, via_edited: Reach, graph: ImportGraph
) -> Reach | None:
    """The walk by which a recorded test file reaches code the map cannot vouch for, if any:
    unseen code, or another edited test module it imports."""
    if test_file in via_code:
        return via_code
    if test_file not in via_edited:
        return None
    if not via_edited.changed(test_file):
        return via_edited
    imported = graph.edges.get(test_file, ())  # itself edited: does it import another one?
    return via_edited if any(via_edited.changed(p) for p in imported) else None


RULES: dict[str, Callable[[_Context], Iterator[Hit]]] = {
    "paths": rule_paths,
    "inputs": rule_inputs,
    "imports": rule_imports,
    "contracts": rule_contracts,
    "config": rule_config,
    "mappings": rule_mappings,
    "tests": rule_tests,
}


# -- helpers ----------------------------------------------------------------------------------


def _glob_hits(path: str, change: FileChange, glob: str) -> bool:
    """A submodule pointer change counts as a change of everything under its path."""
    return glob_match(path, glob) or (change.submodule and glob_match(path + "/", glob))


def _enabled(config: Config) -> Iterator[tuple[str, Any]]:
    return ((n, p) for n, p in config.providers.items() if p.enabled)


def _chain_text(ctx: _Context, start: str, via: Reach | None = None) -> str:
    steps = (via or ctx.via).chain(start)
    last = ctx.touched.get(steps[-1])
    if last is None:  # unchanged itself: the per-test map's name following gave up on it
        tail = f"{steps[-1]} (reads a changed module-level name)"
    elif last.path != steps[-1]:  # code still imports the old name of a renamed file
        tail = f"{steps[-1]} ({last.status} to {last.path})"
    else:
        tail = last.describe()
    return " imports ".join([*steps[:-1], tail])


def expand_test_pattern(template: str, match: re.Match[str]) -> str:
    """Fill ``{1}``, ``{name}``, ``\\1`` and ``\\g<name>`` from the source pattern's match."""

    def group(ref: re.Match[str]) -> str:
        key = next(g for g in ref.groups() if g is not None)
        value = match.group(int(key) if key.isdigit() else key)
        return value or ""

    return MAPPING_GROUP.sub(group, template)


def effective_config(config: Config, provider: str) -> dict[str, Any]:
    """Everything that shapes a provider's certification run, as dotted key -> value."""
    spec = config.providers[provider]
    environments = spec.environments if spec.environments is not None else list(config.environments)
    sections: dict[str, Any] = {
        f"providers.{provider}": spec,
        "run": config.run,
        "sessions": config.sessions,
        "project.default_environment": config.project.default_environment,
    }
    for service in spec.services:
        sections[f"services.{service}"] = config.services.get(service)
    for env in environments:
        sections[f"environments.{env}"] = config.environments.get(env)
    for name, dataset in config.data.items():
        if provider in dataset.load_into:
            sections[f"data.{name}"] = dataset
    flat: dict[str, Any] = {}
    for key, value in sections.items():
        _flatten(key, value.model_dump() if hasattr(value, "model_dump") else value, flat)
    return flat


def _flatten(key: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):  # an empty table adds no key: {} and a missing table agree
        for sub, item in value.items():
            _flatten(f"{key}.{sub}", item, out)
    else:
        out[key] = value


def config_differences(old: Config, new: Config, provider: str) -> list[str]:
    """Dotted keys whose value differs for ``provider`` (values are never shown: secrets)."""
    before, after = effective_config(old, provider), effective_config(new, provider)
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def _merge(data: SelectorInput, base: Selection, hits: list[Hit]) -> Selection:
    reasons: dict[tuple[Kind, str], list[Reason]] = {}
    narrowed: dict[tuple[Kind, str], set[str] | None] = {}
    notes: list[str] = []
    for hit in hits:
        if hit.note and hit.note not in notes:
            notes.append(hit.note)
        if not hit.reason.text:
            continue
        key = (hit.kind, hit.name)
        if hit.reason not in reasons.setdefault(key, []):
            reasons[key].append(hit.reason)
        if key not in narrowed:
            narrowed[key] = set(hit.tests) if hit.tests is not None else None
        else:
            current = narrowed[key]
            narrowed[key] = (
                current | hit.tests if current is not None and hit.tests is not None else None
            )
    items = {
        key: Item(key[0], key[1], tuple(rs), tuple(sorted(narrowed[key] or ())))
        for key, rs in reasons.items()
    }
    providers = tuple(i for k, i in items.items() if k[0] == "provider")
    tests = tuple(i for k, i in items.items() if k[0] == "tests")
    return Selection(
        base.base,
        base.merge_base,
        _prioritise(providers, data),
        _prioritise(tests, data),
        tuple(notes),
        base.warnings,
        base.changed,
    )


def _prioritise(items: tuple[Item, ...], data: SelectorInput) -> tuple[Item, ...]:
    return _ordered(items, data.failures, data.durations)


def _ordered(
    items: tuple[Item, ...], failures: Mapping[str, int], durations: Mapping[str, float]
) -> tuple[Item, ...]:
    """Recent failures first (most first), then the quickest, then by name."""
    return tuple(
        sorted(items, key=lambda i: (-failures.get(i.name, 0), durations.get(i.name, 0.0), i.name))
    )


def prioritise(
    selection: Selection, failures: Mapping[str, int], durations: Mapping[str, float]
) -> Selection:
    """The same selection ordered by recent failures, then duration (per provider or file)."""
    return replace(
        selection,
        providers=_ordered(selection.providers, failures, durations),
        tests=_ordered(selection.tests, failures, durations),
    )
