"""Config-load checks of ``[data.*]``: field types and parameters, references, cycles, keys.

Pure: takes the datasets (and the provider names) and yields ``(key_path, message)`` like every
check in ``omnicloud.config.checks``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from omnicloud.data.generators import ObjectType
from omnicloud.data.parse import Schema, SpecError, iter_refs, parse_schema
from omnicloud.errors import did_you_mean, one_of

if TYPE_CHECKING:
    from omnicloud.config.models import DatasetConfig

Problem = tuple[tuple[str, ...], str]


def dataset_problems(
    datasets: Mapping[str, DatasetConfig], providers: Iterable[str] = ()
) -> Iterator[Problem]:
    """Every problem of ``config.data``, each with its key path (``data.users.fields.age``)."""
    schemas: dict[str, Schema] = {}
    for name, config in datasets.items():
        try:
            schemas[name] = parse_schema(name, config)
        except SpecError as exc:
            yield ("data", name, *exc.key), exc.message
            continue
        yield from _key_problems(schemas[name])
        known = sorted(providers)
        for index, provider in enumerate(config.load_into):
            if provider not in known:
                yield (
                    ("data", name, "load_into", str(index)),
                    f"unknown provider '{provider}'{did_you_mean(provider, known)}"
                    f" (accepted: {one_of(known)})",
                )
    yield from _reference_problems(schemas)
    yield from _cycle_problems(schemas)


def _key_problems(schema: Schema) -> Iterator[Problem]:
    if schema.key is None:
        return
    field = schema.field(schema.key)
    names = [f.name for f in schema.fields]
    where = ("data", schema.name, "key")
    if field is None:
        yield (
            where,
            (
                f"key names unknown field '{schema.key}'{did_you_mean(schema.key, names)}"
                f" (accepted: {one_of(names)})"
            ),
        )
    elif isinstance(field.type, ObjectType) or not field.type.HASHABLE:
        yield where, f"key field '{schema.key}' must be a scalar field"
    elif not (field.unique or field.type.UNIQUE_BY_CONSTRUCTION) or field.nullable:
        yield (
            where,
            (
                f"key field '{schema.key}' must be unique and never null: set"
                " unique = true (or use a uuid or sequence field)"
            ),
        )


def _reference_problems(schemas: Mapping[str, Schema]) -> Iterator[Problem]:
    names = sorted(schemas)
    for schema in schemas.values():
        for key, ref in iter_refs(schema.fields):
            where = ("data", schema.name, *key)
            target = schemas.get(ref.dataset)
            if target is None:
                yield (
                    where,
                    (
                        f"reference to unknown dataset '{ref.dataset}'"
                        f"{did_you_mean(ref.dataset, names)} (accepted: {one_of(names)})"
                    ),
                )
                continue
            fields = [f.name for f in target.fields]
            if ref.field not in fields:
                yield (
                    where,
                    (
                        f"reference to unknown field '{ref.dataset}.{ref.field}'"
                        f"{did_you_mean(ref.field, fields)} (accepted: {one_of(fields)})"
                    ),
                )


Node = tuple[str, str]  # (dataset, top-level field)


def _cycle_problems(schemas: Mapping[str, Schema]) -> Iterator[Problem]:
    """One problem per reference cycle (``a.x -> b.y -> a.x``), at the reference closing it.

    Nodes are fields, not datasets: ``users.last_order -> orders.id`` next to
    ``orders.user -> users.id`` is fine, because neither column needs the other to exist.
    """
    edges: dict[Node, list[tuple[tuple[str, ...], Node]]] = {}
    for name, schema in schemas.items():
        for key, ref in iter_refs(schema.fields):
            if ref.dataset in schemas:
                edges.setdefault((name, key[1]), []).append((key, (ref.dataset, ref.field)))
    reported: set[frozenset[Node]] = set()
    for start in sorted(edges):
        for path, key in _cycles_from(start, edges):
            members = frozenset(path)
            if members not in reported:
                reported.add(members)
                text = " -> ".join(f"{d}.{f}" for d, f in path)
                yield ("data", start[0], *key), f"reference cycle: {text}"


def _cycles_from(
    start: Node,
    edges: Mapping[Node, list[tuple[tuple[str, ...], Node]]],
) -> Iterator[tuple[list[Node], tuple[str, ...]]]:
    """Cycles through ``start`` as (nodes start..start, key of start's first reference)."""
    stack = [(target, [start], key) for key, target in edges[start]]
    seen: set[Node] = set()
    while stack:
        node, path, first_key = stack.pop()
        if node == start:
            yield [*path, start], first_key
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.extend((target, [*path, node], first_key) for _, target in edges.get(node, []))
