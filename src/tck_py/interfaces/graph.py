"""Graph interfaces: basic, traversal, query, analytics (directed graphs, string node ids).

Traversals visit out-neighbours in ascending id order, so their output is exact.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tck_py.interfaces._support import InterfaceSuite, ProviderFactory, unique


async def _graph(p: Any, edges: list[tuple[str, str]], extra: tuple[str, ...] = ()) -> str:
    g = unique("g")
    for node in sorted({n for e in edges for n in e} | set(extra)):
        await p.graph_add_node(g, node)
    for source, target in edges:
        await p.graph_add_edge(g, source, target)
    return g


class BaseTestGraphBasicInterface(InterfaceSuite):
    """graph_basic: nodes and edges CRUD."""

    interface = "graph_basic"

    async def test_nodes_keep_their_properties(self, provider_factory: ProviderFactory) -> None:
        p, g = await provider_factory(), unique("g")
        await p.graph_add_node(g, "a", {"name": "Ann", "age": 30, "tags": ["x"]})
        assert await p.graph_get_node(g, "a") == {"name": "Ann", "age": 30, "tags": ["x"]}
        await p.graph_add_node(g, "a", {"name": "Anna"})
        assert await p.graph_get_node(g, "a") == {"name": "Anna"}
        assert await p.graph_get_node(g, "missing") is None

    async def test_returned_properties_are_copies(self, provider_factory: ProviderFactory) -> None:
        p, g = await provider_factory(), unique("g")
        props = {"tags": ["x"]}
        await p.graph_add_node(g, "a", props)
        props["tags"].append("changed-after-add")
        node = await p.graph_get_node(g, "a")
        node["tags"].append("changed-after-get")
        assert await p.graph_get_node(g, "a") == {"tags": ["x"]}

    async def test_edges_are_listed_at_both_ends(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        g = await _graph(p, [], ("a", "b"))
        edge_id = await p.graph_add_edge(g, "a", "b", "KNOWS", {"since": 2020})
        for node in ("a", "b"):
            (edge,) = await p.graph_edges(g, node)
            assert (edge.edge_id, edge.source, edge.target, edge.label) == (
                edge_id,
                "a",
                "b",
                "KNOWS",
            )
            assert dict(edge.properties) == {"since": 2020}

    async def test_edge_to_a_missing_node_is_a_key_error(
        self, provider_factory: ProviderFactory
    ) -> None:
        p = await provider_factory()
        g = await _graph(p, [], ("a",))
        with pytest.raises(KeyError):
            await p.graph_add_edge(g, "a", "ghost")
        with pytest.raises(KeyError):
            await p.graph_add_edge(g, "ghost", "a")
        assert list(await p.graph_edges(g, "a")) == []

    async def test_delete_edge(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        g = await _graph(p, [], ("a", "b"))
        edge_id = await p.graph_add_edge(g, "a", "b")
        assert await p.graph_delete_edge(g, edge_id) is True
        assert await p.graph_delete_edge(g, edge_id) is False
        assert list(await p.graph_edges(g, "a")) == []

    async def test_delete_node_removes_its_edges(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        g = await _graph(p, [("a", "b"), ("b", "c"), ("c", "a")])
        assert await p.graph_delete_node(g, "b") is True
        assert await p.graph_get_node(g, "b") is None
        assert [(e.source, e.target) for e in await p.graph_edges(g, "a")] == [("c", "a")]
        assert await p.graph_delete_node(g, "b") is False

    async def test_parallel_edges_are_distinct(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        g = await _graph(p, [], ("a", "b"))
        first = await p.graph_add_edge(g, "a", "b", "X")
        second = await p.graph_add_edge(g, "a", "b", "Y")
        assert first != second
        assert sorted(e.label for e in await p.graph_edges(g, "a")) == ["X", "Y"]

    async def test_graphs_are_isolated(self, provider_factory: ProviderFactory) -> None:
        p, g1, g2 = await provider_factory(), unique("g"), unique("g")
        await p.graph_add_node(g1, "a")
        assert await p.graph_get_node(g2, "a") is None

    async def test_concurrent_node_writes(self, provider_factory: ProviderFactory) -> None:
        p, g = await provider_factory(), unique("g")
        await asyncio.gather(*(p.graph_add_node(g, f"n{i}", {"i": i}) for i in range(50)))
        nodes = await asyncio.gather(*(p.graph_get_node(g, f"n{i}") for i in range(50)))
        assert [n["i"] for n in nodes] == list(range(50))


class BaseTestGraphTraversalInterface(InterfaceSuite):
    """graph_traversal: graph_traverse_dfs, graph_traverse_bfs along out-edges."""

    interface = "graph_traversal"

    EDGES = [("a", "c"), ("a", "b"), ("b", "d"), ("c", "d"), ("d", "e"), ("e", "a"), ("x", "a")]

    async def test_depth_first(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        g = await _graph(p, self.EDGES, ("lonely",))
        assert list(await p.graph_traverse_dfs(g, "a")) == ["a", "b", "d", "e", "c"]

    async def test_breadth_first(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        g = await _graph(p, self.EDGES, ("lonely",))
        assert list(await p.graph_traverse_bfs(g, "a")) == ["a", "b", "c", "d", "e"]

    async def test_max_depth(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        g = await _graph(p, self.EDGES)
        assert list(await p.graph_traverse_dfs(g, "a", 1)) == ["a", "b", "c"]
        assert list(await p.graph_traverse_bfs(g, "a", 2)) == ["a", "b", "c", "d"]
        assert list(await p.graph_traverse_bfs(g, "a", 0)) == ["a"]

    async def test_edges_are_directed(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        g = await _graph(p, self.EDGES, ("lonely",))
        assert list(await p.graph_traverse_bfs(g, "lonely")) == ["lonely"]
        assert "x" not in await p.graph_traverse_dfs(g, "a")

    async def test_missing_start_is_a_key_error(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        g = await _graph(p, self.EDGES)
        with pytest.raises(KeyError):
            await p.graph_traverse_dfs(g, "ghost")

    async def test_a_long_chain_does_not_overflow(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        g = await _graph(p, [(f"n{i:04d}", f"n{i + 1:04d}") for i in range(1500)])
        assert len(await p.graph_traverse_dfs(g, "n0000")) == 1501


class BaseTestGraphQueryInterface(InterfaceSuite):
    """graph_query: a portable openCypher core (MATCH one node or one edge, WHERE =, RETURN)."""

    interface = "graph_query"

    async def _people(self, p: Any) -> str:
        g = unique("g")
        await p.graph_add_node(g, "alice", {"city": "paris", "age": 30})
        await p.graph_add_node(g, "bob", {"city": "paris", "age": 25})
        await p.graph_add_node(g, "carol", {"city": "rome", "age": 41})
        await p.graph_add_edge(g, "alice", "bob", "KNOWS")
        await p.graph_add_edge(g, "alice", "carol", "LIKES")
        await p.graph_add_edge(g, "bob", "carol", "KNOWS")
        return g

    @staticmethod
    def _rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted((dict(r) for r in rows), key=lambda r: sorted(map(str, r.values())))

    async def test_match_nodes_by_property(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        g = await self._people(p)
        rows = await p.graph_query(
            g, "cypher", "MATCH (n) WHERE n.city = $city RETURN n.id", {"city": "paris"}
        )
        assert self._rows(rows) == [{"n.id": "alice"}, {"n.id": "bob"}]

    async def test_match_labelled_edges(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        g = await self._people(p)
        rows = await p.graph_query(
            g,
            "cypher",
            "MATCH (a)-[:KNOWS]->(b) WHERE a.id = $id RETURN b.id, b.age",
            {"id": "alice"},
        )
        assert self._rows(rows) == [{"b.id": "bob", "b.age": 25}]
        rows = await p.graph_query(g, "cypher", "MATCH (a)-[:KNOWS]->(b) RETURN a.id, b.id")
        assert self._rows(rows) == [
            {"a.id": "alice", "b.id": "bob"},
            {"a.id": "bob", "b.id": "carol"},
        ]

    async def test_no_match_is_empty(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        g = await self._people(p)
        rows = await p.graph_query(g, "cypher", "MATCH (n) WHERE n.city = 'oslo' RETURN n.id")
        assert list(rows) == []

    async def test_unsupported_language_is_a_value_error(
        self, provider_factory: ProviderFactory
    ) -> None:
        p = await provider_factory()
        g = await self._people(p)
        with pytest.raises(ValueError):
            await p.graph_query(g, "klingon", "qapla'")


class BaseTestGraphAnalyticsInterface(InterfaceSuite):
    """graph_analytics: shortest path, PageRank, weakly connected components."""

    interface = "graph_analytics"

    async def test_shortest_path_takes_fewest_hops(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        g = await _graph(p, [("a", "b"), ("b", "c"), ("c", "d"), ("a", "x"), ("x", "d")])
        assert list(await p.graph_shortest_path(g, "a", "d")) == ["a", "x", "d"]
        assert list(await p.graph_shortest_path(g, "a", "a")) == ["a"]
        assert await p.graph_shortest_path(g, "d", "a") is None  # edges are directed

    async def test_shortest_path_with_a_missing_node(
        self, provider_factory: ProviderFactory
    ) -> None:
        p = await provider_factory()
        g = await _graph(p, [("a", "b")])
        with pytest.raises(KeyError):
            await p.graph_shortest_path(g, "a", "ghost")

    async def test_pagerank(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        g = await _graph(p, [("b", "hub"), ("c", "hub"), ("d", "hub"), ("hub", "b")])
        ranks = await p.graph_pagerank(g)
        assert set(ranks) == {"b", "c", "d", "hub"}
        assert abs(sum(ranks.values()) - 1.0) < 1e-6
        assert max(ranks, key=ranks.get) == "hub"
        assert abs(ranks["c"] - ranks["d"]) < 1e-9
        assert ranks["b"] > ranks["c"]

    async def test_connected_components_ignore_direction(
        self, provider_factory: ProviderFactory
    ) -> None:
        p = await provider_factory()
        g = await _graph(p, [("a", "b"), ("c", "b"), ("d", "e")], ("f",))
        components = {frozenset(c) for c in await p.graph_connected_components(g)}
        assert components == {frozenset("abc"), frozenset("de"), frozenset("f")}
