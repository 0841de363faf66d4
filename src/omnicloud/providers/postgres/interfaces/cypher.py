"""graph_query: a small openCypher core translated to one SQL query over the graph tables.

Supported: ``MATCH (a)`` or ``MATCH (a)-[:LABEL]->(b)`` (the label optional), an optional
``WHERE`` of ``var.prop = value`` conditions joined by ``AND`` (values: ``$param``, ``'text'``
or a number), and ``RETURN var.prop, ...``; ``var.id`` is the node id. Anything else is a
``ValueError`` naming the part that is not supported. Pure: ``translate`` returns the SQL text
and its parameters; values are compared as ``jsonb``, so ``25`` matches ``25`` and not ``"25"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_QUERY = re.compile(
    r"^\s*MATCH\s+\((?P<a>\w+)\)(?:\s*-\[(?::(?P<label>\w+))?\]->\s*\((?P<b>\w+)\))?"
    r"(?:\s+WHERE\s+(?P<where>.+?))?\s+RETURN\s+(?P<ret>.+?)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CONDITION = re.compile(r"^\s*(\w+)\.(\w+)\s*=\s*(\$\w+|'[^']*'|-?\d+(?:\.\d+)?)\s*$")
_PROPERTY = re.compile(r"^\s*(\w+)\.(\w+)\s*$")


@dataclass(frozen=True)
class Translated:
    sql: str
    params: list[Any]
    columns: list[str]


def _value(token: str, parameters: Mapping[str, Any]) -> Any:
    if token.startswith("$"):
        if token[1:] not in parameters:
            raise ValueError(f"missing query parameter {token}")
        return parameters[token[1:]]
    if token.startswith("'"):
        return token[1:-1]
    return float(token) if "." in token else int(token)


def _alias(var: str) -> str:
    """A query variable as an SQL alias that cannot clash with a keyword or the edge table."""
    return f'"v_{var}"'


def _property(var: str, key: str, params: list[Any]) -> str:
    if key == "id":
        return f"to_jsonb({_alias(var)}.id)"
    params.append(key)
    return f"({_alias(var)}.props -> %s)"


def _source(match: re.Match[str], params: list[Any]) -> str:
    if not match["b"]:
        a = _alias(match["a"])
        return f"FROM ocs_graph_nodes {a} WHERE {a}.ns = %s AND {a}.graph = %s"
    a, b = _alias(match["a"]), _alias(match["b"])
    sql = (
        f"FROM ocs_graph_edges e JOIN ocs_graph_nodes {a} ON {a}.ns = e.ns"
        f" AND {a}.graph = e.graph AND {a}.id = e.source JOIN ocs_graph_nodes {b}"
        f" ON {b}.ns = e.ns AND {b}.graph = e.graph AND {b}.id = e.target"
        " WHERE e.ns = %s AND e.graph = %s"
    )
    if match["label"]:
        sql += " AND e.label = %s"
        params.append(match["label"])
    return sql


def translate(query: str, parameters: Mapping[str, Any], ns: str, graph: str) -> Translated:
    """The SQL for ``query`` over ``graph`` of namespace ``ns``."""
    match = _QUERY.match(query)
    if match is None:
        raise ValueError(f"unsupported query (a small openCypher core is supported): {query!r}")
    names = {n for n in (match["a"], match["b"]) if n}
    if match["b"] and match["a"] == match["b"]:
        raise ValueError("the two ends of a pattern need different variable names")
    select_params: list[Any] = []
    columns, exprs = [], []
    for item in match["ret"].split(","):
        found = _PROPERTY.match(item)
        if found is None or found[1] not in names:
            raise ValueError(f"unsupported return item {item.strip()!r}")
        columns.append(item.strip())
        exprs.append(_property(found[1], found[2], select_params))
    where_params: list[Any] = [ns, graph]
    source = _source(match, where_params)
    conditions = []
    for part in re.split(r"\s+AND\s+", match["where"] or "", flags=re.IGNORECASE):
        if not part.strip():
            continue
        found = _CONDITION.match(part)
        if found is None or found[1] not in names:
            raise ValueError(f"unsupported condition {part.strip()!r}")
        target = _property(found[1], found[2], where_params)
        conditions.append(f"{target} = %s::jsonb")
        where_params.append(json.dumps(_value(found[3], parameters)))
    sql = f"SELECT jsonb_build_array({', '.join(exprs)}) {source}"
    sql += "".join(f" AND {c}" for c in conditions)
    return Translated(sql, select_params + where_params, columns)
