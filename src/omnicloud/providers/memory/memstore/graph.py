"""MemStore's graph family (graph_: nodes, edges, traversal, a small Cypher subset)."""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from omnicloud.providers.memory.memstore.common import tick
from tck_py.interfaces.models import Edge


@dataclass
class _GraphData:
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: dict[str, Edge] = field(default_factory=dict)

    def out(self, node: str) -> list[str]:
        return sorted({e.target for e in self.edges.values() if e.source == node})

    def require(self, node: str) -> None:
        if node not in self.nodes:
            raise KeyError(f"no node {node!r}")


_CYPHER = re.compile(
    r"^\s*MATCH\s+\((?P<a>\w+)\)(?:\s*-\[(?::(?P<label>\w+))?\]->\s*\((?P<b>\w+)\))?"
    r"(?:\s+WHERE\s+(?P<where>.+?))?\s+RETURN\s+(?P<ret>.+?)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CONDITION = re.compile(r"^\s*(\w+)\.(\w+)\s*=\s*(\$\w+|'[^']*'|-?\d+(?:\.\d+)?)\s*$")
_RETURN = re.compile(r"^\s*(\w+)\.(\w+)\s*$")


class GraphFamily:
    _graphs: dict[str, _GraphData]

    def _init_graph(self) -> None:
        self._graphs = {}

    def _graph(self, name: str) -> _GraphData:
        return self._graphs.setdefault(name, _GraphData())

    async def graph_add_node(
        self, graph: str, node_id: str, properties: Mapping[str, Any] | None = None
    ) -> None:
        await tick()
        self._graph(graph).nodes[node_id] = copy.deepcopy(dict(properties or {}))

    async def graph_add_edge(
        self,
        graph: str,
        source: str,
        target: str,
        label: str = "",
        properties: Mapping[str, Any] | None = None,
    ) -> str:
        await tick()
        data = self._graph(graph)
        data.require(source)
        data.require(target)
        edge = Edge(uuid.uuid4().hex, source, target, label, copy.deepcopy(dict(properties or {})))
        data.edges[edge.edge_id] = edge
        return edge.edge_id

    async def graph_delete_node(self, graph: str, node_id: str) -> bool:
        await tick()
        data = self._graph(graph)
        if data.nodes.pop(node_id, None) is None:
            return False
        for edge in [e for e in data.edges.values() if node_id in (e.source, e.target)]:
            del data.edges[edge.edge_id]
        return True

    async def graph_delete_edge(self, graph: str, edge_id: str) -> bool:
        await tick()
        return self._graph(graph).edges.pop(edge_id, None) is not None

    async def graph_get_node(self, graph: str, node_id: str) -> dict[str, Any] | None:
        await tick()
        node = self._graph(graph).nodes.get(node_id)
        return None if node is None else copy.deepcopy(node)

    async def graph_edges(self, graph: str, node_id: str) -> list[Edge]:
        await tick()
        return [
            replace(e, properties=copy.deepcopy(e.properties))
            for e in self._graph(graph).edges.values()
            if node_id in (e.source, e.target)
        ]

    async def graph_traverse_dfs(
        self, graph: str, start: str, max_depth: int | None = None
    ) -> list[str]:
        await tick()
        data = self._graph(graph)
        data.require(start)
        seen, order = {start}, [start]
        stack = [(start, 0, iter(data.out(start)))]
        while stack:
            _, depth, children = stack[-1]
            child = next((c for c in children if c not in seen), None)
            if child is None or (max_depth is not None and depth >= max_depth):
                stack.pop()
                continue
            seen.add(child)
            order.append(child)
            stack.append((child, depth + 1, iter(data.out(child))))
        return order

    async def graph_traverse_bfs(
        self, graph: str, start: str, max_depth: int | None = None
    ) -> list[str]:
        await tick()
        data = self._graph(graph)
        data.require(start)
        seen, order, frontier, depth = {start}, [start], [start], 0
        while frontier and (max_depth is None or depth < max_depth):
            following = []
            for node in frontier:
                for child in data.out(node):
                    if child not in seen:
                        seen.add(child)
                        order.append(child)
                        following.append(child)
            frontier, depth = following, depth + 1
        return order

    async def graph_query(
        self, graph: str, language: str, query: str, parameters: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        if language.lower() != "cypher":
            raise ValueError(f"unsupported query language {language!r} (memstore: 'cypher')")
        await tick()
        return _run_cypher(self._graph(graph), query, dict(parameters or {}))

    async def graph_shortest_path(self, graph: str, source: str, target: str) -> list[str] | None:
        await tick()
        data = self._graph(graph)
        data.require(source)
        data.require(target)
        parents: dict[str, str | None] = {source: None}
        frontier = [source]
        while frontier and target not in parents:
            following = []
            for node in frontier:
                for child in data.out(node):
                    if child not in parents:
                        parents[child] = node
                        following.append(child)
            frontier = following
        if target not in parents:
            return None
        path: list[str] = []
        step: str | None = target
        while step is not None:
            path.append(step)
            step = parents[step]
        return path[::-1]

    async def graph_pagerank(
        self, graph: str, damping: float = 0.85, iterations: int = 50
    ) -> dict[str, float]:
        if not 0 < damping < 1:
            raise ValueError(f"damping must be in (0, 1), got {damping!r}")
        await tick()
        data = self._graph(graph)
        nodes = sorted(data.nodes)
        if not nodes:
            return {}
        out = {n: data.out(n) for n in nodes}
        rank = dict.fromkeys(nodes, 1.0 / len(nodes))
        for _ in range(iterations):
            dangling = sum(rank[n] for n in nodes if not out[n]) / len(nodes)
            following = dict.fromkeys(nodes, (1 - damping) / len(nodes) + damping * dangling)
            for node in nodes:
                for child in out[node]:
                    following[child] += damping * rank[node] / len(out[node])
            rank = following
        return rank

    async def graph_connected_components(self, graph: str) -> list[set[str]]:
        await tick()
        data = self._graph(graph)
        neighbours: dict[str, set[str]] = {n: set() for n in data.nodes}
        for edge in data.edges.values():
            neighbours[edge.source].add(edge.target)
            neighbours[edge.target].add(edge.source)
        components, seen = [], set()
        for node in sorted(data.nodes):
            if node in seen:
                continue
            component, todo = set(), [node]
            while todo:
                current = todo.pop()
                if current not in component:
                    component.add(current)
                    todo.extend(neighbours[current] - component)
            seen |= component
            components.append(component)
        return components


def _cypher_value(token: str, parameters: Mapping[str, Any]) -> Any:
    if token.startswith("$"):
        if token[1:] not in parameters:
            raise ValueError(f"missing query parameter {token}")
        return parameters[token[1:]]
    if token.startswith("'"):
        return token[1:-1]
    return float(token) if "." in token else int(token)


def _run_cypher(
    data: _GraphData, query: str, parameters: Mapping[str, Any]
) -> list[dict[str, Any]]:
    match = _CYPHER.match(query)
    if match is None:
        raise ValueError(f"unsupported query (memstore runs a small openCypher core): {query!r}")
    names = [n for n in (match["a"], match["b"]) if n]
    conditions = []
    for part in re.split(r"\s+AND\s+", match["where"] or "", flags=re.IGNORECASE):
        if part.strip():
            cond = _CONDITION.match(part)
            if cond is None or cond[1] not in names:
                raise ValueError(f"unsupported condition {part.strip()!r}")
            conditions.append((cond[1], cond[2], _cypher_value(cond[3], parameters)))
    returns = []
    for item in match["ret"].split(","):
        ret = _RETURN.match(item)
        if ret is None or ret[1] not in names:
            raise ValueError(f"unsupported return item {item.strip()!r}")
        returns.append((item.strip(), ret[1], ret[2]))

    def prop(node: str, key: str) -> Any:
        return node if key == "id" else data.nodes[node].get(key)

    if match["b"]:
        label = match["label"]
        bindings = [
            {match["a"]: e.source, match["b"]: e.target}
            for e in data.edges.values()
            if label is None or e.label == label
        ]
    else:
        bindings = [{match["a"]: n} for n in data.nodes]
    rows = [
        {text: prop(b[var], key) for text, var, key in returns}
        for b in bindings
        if all(prop(b[var], key) == value for var, key, value in conditions)
    ]
    return sorted(rows, key=lambda row: [str(v) for v in row.values()])
