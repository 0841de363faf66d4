"""Mongo-style filters, sorts and aggregation pipelines compiled to SQL over a ``jsonb`` column.

Pure functions returning SQL text; every value is rendered as a quoted literal by psycopg's
``sql.Literal``, so the text is safe whatever the documents and filters contain. Equality is
exact ``jsonb`` equality: a list or an object equals only the same list or object, never one
that merely contains it (``@>``). Comparisons apply only between values of the same JSON type,
and strings compare by code point (``COLLATE "C"``), as Python compares them. A pipeline becomes
nested sub-selects, one per stage, each yielding ``(seq, doc)`` rows; ``seq`` carries the order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from omnicloud.providers.postgres._client import psycopg_module

_COMPARE = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
OPERATORS = ("$gt", "$gte", "$lt", "$lte", "$ne", "$in")
STAGES = ("$match", "$group", "$sort", "$limit")
ACCUMULATORS = ("$sum", "$avg", "$min", "$max")


def literal(value: str | list[str]) -> str:
    """A quoted SQL literal (text, or text[] for a list of strings)."""
    return str(psycopg_module().sql.Literal(value).as_string())


def jsonb(value: Any) -> str:
    return f"{literal(json.dumps(value))}::jsonb"


def field(name: str) -> str:
    """The value at a dotted path of ``doc`` (SQL NULL when missing)."""
    return f"(doc #> {literal(name.split('.'))}::text[])"


def _compare(target: str, op: str, operand: Any) -> str:
    sign = _COMPARE[op]
    if isinstance(operand, str):
        return (
            f"(jsonb_typeof({target}) = 'string'"
            f' AND ({target} #>> \'{{}}\') COLLATE "C" {sign} {literal(operand)} COLLATE "C")'
        )
    value = jsonb(operand)
    return f"(jsonb_typeof({target}) = jsonb_typeof({value}) AND {target} {sign} {value})"


def _condition(name: str, op: str, operand: Any) -> str:
    target = field(name)
    if op == "$eq":
        return f"{target} = {jsonb(operand)}"
    if op == "$ne":
        return f"{target} IS DISTINCT FROM {jsonb(operand)}"
    if op == "$in":
        if isinstance(operand, str | bytes) or not isinstance(operand, Sequence):
            raise ValueError(f"$in on {name!r} needs a list, got {operand!r}")
        if not operand:
            return "FALSE"
        return f"{target} IN ({', '.join(jsonb(v) for v in operand)})"
    if op in _COMPARE:
        return _compare(target, op, operand)
    raise ValueError(f"unsupported filter operator {op!r} on {name!r} (accepted: {OPERATORS})")


def compile_filter(filter: Mapping[str, Any]) -> str:
    """A filter -> an SQL condition on ``doc``; ``ValueError`` for an unknown operator."""
    parts: list[str] = []
    for name, spec in filter.items():
        if isinstance(spec, Mapping) and spec and all(str(k).startswith("$") for k in spec):
            parts += [_condition(name, op, operand) for op, operand in spec.items()]
        else:
            parts.append(_condition(name, "$eq", spec))
    return " AND ".join(parts) or "TRUE"


def compile_sort(sort: Sequence[tuple[str, int]]) -> str:
    """ORDER BY terms: missing fields first ascending (last descending), strings by code point."""
    terms: list[str] = []
    for name, direction in sort:
        way = "DESC" if direction < 0 else "ASC"
        target = field(name)
        terms += [
            f"({target} IS NOT NULL) {way}",
            f"(CASE WHEN jsonb_typeof({target}) = 'string' THEN {target} #>> '{{}}' END)"
            f' COLLATE "C" {way}',
            f"{target} {way}",
        ]
    return ", ".join([*terms, "seq"])


def _expression(expr: Any) -> str:
    """A ``$group`` expression: ``"$a.b"`` reads a field (missing is null), else a constant."""
    if isinstance(expr, str) and expr.startswith("$"):
        return f"coalesce({field(expr[1:])}, 'null'::jsonb)"
    return jsonb(expr)


def _accumulator(op: str, expr: Any) -> str:
    value = _expression(expr)
    if op in ("$sum", "$avg"):
        function = "sum" if op == "$sum" else "avg"
        total = f"{function}(({value})::numeric) FILTER (WHERE jsonb_typeof({value}) = 'number')"
        return f"to_jsonb(coalesce({total}, 0))" if op == "$sum" else f"to_jsonb({total})"
    if op in ("$min", "$max"):
        way = "ASC" if op == "$min" else "DESC"
        return (
            f"(array_agg({value} ORDER BY {value} {way})"
            f" FILTER (WHERE {value} <> 'null'::jsonb))[1]"
        )
    raise ValueError(f"unsupported accumulator {op!r} (accepted: {ACCUMULATORS})")


def _group(spec: Mapping[str, Any], source: str) -> str:
    key = _expression(spec.get("_id"))
    fields = [f"'_id', {key}"]
    for name, accumulator in spec.items():
        if name == "_id":
            continue
        if not isinstance(accumulator, Mapping) or len(accumulator) != 1:
            raise ValueError(f"$group field {name!r} needs one accumulator, got {accumulator!r}")
        ((op, expr),) = accumulator.items()
        fields.append(f"{literal(name)}::text, {_accumulator(op, expr)}")
    return (
        f"SELECT min(seq) AS seq, jsonb_build_object({', '.join(fields)}) AS doc"
        f" FROM ({source}) s GROUP BY {key}"
    )


def _stage(name: str, arg: Any, source: str) -> str:
    if name == "$match":
        return f"SELECT seq, doc FROM ({source}) s WHERE {compile_filter(arg)}"
    if name == "$group":
        return _group(arg, source)
    if name == "$sort":
        order = compile_sort(list(arg.items()))
        return f"SELECT row_number() OVER (ORDER BY {order}) AS seq, doc FROM ({source}) s"
    if name == "$limit":
        return f"SELECT seq, doc FROM ({source}) s ORDER BY seq LIMIT {int(arg)}"
    raise ValueError(f"unsupported stage {name!r} (accepted: {STAGES})")


def compile_pipeline(stages: Sequence[Mapping[str, Any]], source: str) -> str:
    """An aggregation pipeline over ``source`` (a SELECT of ``seq, doc``) -> one SELECT."""
    sql = source
    for stage in stages:
        if not isinstance(stage, Mapping) or len(stage) != 1:
            raise ValueError(f"a pipeline stage has one operator, got {stage!r}")
        ((name, arg),) = stage.items()
        sql = _stage(name, arg, sql)
    return f"SELECT doc FROM ({sql}) s ORDER BY seq"
