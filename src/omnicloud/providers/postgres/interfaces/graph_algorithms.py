"""Graph walks and algorithms over edges read from the database. Pure functions.

Neighbours are visited in ascending id order, each node once, as the graph suites require.
"""

from __future__ import annotations

from collections.abc import Iterable

Adjacency = dict[str, list[str]]


def adjacency(edges: Iterable[tuple[str, str]]) -> Adjacency:
    """``{source: sorted distinct targets}``."""
    out: dict[str, set[str]] = {}
    for source, target in edges:
        out.setdefault(source, set()).add(target)
    return {node: sorted(targets) for node, targets in out.items()}


def dfs(out: Adjacency, start: str, max_depth: int | None) -> list[str]:
    seen, order = {start}, [start]
    stack = [(0, iter(out.get(start, [])))]
    while stack:
        depth, children = stack[-1]
        child = next((c for c in children if c not in seen), None)
        if child is None or (max_depth is not None and depth >= max_depth):
            stack.pop()
            continue
        seen.add(child)
        order.append(child)
        stack.append((depth + 1, iter(out.get(child, []))))
    return order


def _levels(out: Adjacency, start: str, max_depth: int | None) -> dict[str, str | None]:
    """BFS parents in visit order (dicts keep insertion order)."""
    parents: dict[str, str | None] = {start: None}
    frontier, depth = [start], 0
    while frontier and (max_depth is None or depth < max_depth):
        following = []
        for node in frontier:
            for child in out.get(node, []):
                if child not in parents:
                    parents[child] = node
                    following.append(child)
        frontier, depth = following, depth + 1
    return parents


def bfs(out: Adjacency, start: str, max_depth: int | None) -> list[str]:
    return list(_levels(out, start, max_depth))


def shortest_path(out: Adjacency, source: str, target: str) -> list[str] | None:
    parents = _levels(out, source, None)
    if target not in parents:
        return None
    path: list[str] = []
    step: str | None = target
    while step is not None:
        path.append(step)
        step = parents[step]
    return path[::-1]


def pagerank(
    nodes: list[str], edges: list[tuple[str, str]], damping: float, iterations: int
) -> dict[str, float]:
    nodes = sorted(nodes)
    if not nodes:
        return {}
    out = adjacency(edges)
    rank = dict.fromkeys(nodes, 1.0 / len(nodes))
    for _ in range(iterations):
        dangling = sum(rank[n] for n in nodes if not out.get(n)) / len(nodes)
        following = dict.fromkeys(nodes, (1 - damping) / len(nodes) + damping * dangling)
        for node in nodes:
            for child in out.get(node, []):
                following[child] += damping * rank[node] / len(out[node])
        rank = following
    return rank


def connected_components(nodes: list[str], edges: list[tuple[str, str]]) -> list[set[str]]:
    """Weakly connected components, each a set of node ids."""
    neighbours: dict[str, set[str]] = {n: set() for n in nodes}
    for source, target in edges:
        neighbours[source].add(target)
        neighbours[target].add(source)
    components: list[set[str]] = []
    seen: set[str] = set()
    for node in sorted(nodes):
        if node in seen:
            continue
        component: set[str] = set()
        todo = [node]
        while todo:
            current = todo.pop()
            if current not in component:
                component.add(current)
                todo.extend(neighbours[current] - component)
        seen |= component
        components.append(component)
    return components
