"""graph_basic, graph_traversal, graph_analytics: nodes and edges as rows.

Edges reference both ends with foreign keys ``ON DELETE CASCADE``: an edge to a missing node is
refused by the database (``KeyError``) and deleting a node deletes its edges. Traversals first
find the reachable part of the graph with a recursive CTE (``UNION`` stops at cycles), then
order the visit in the client, because the suites' exact DFS/BFS orders (neighbours by ascending
id, each node once) are not expressible in SQL. PageRank and connected components read the
graph's edges in one query and compute in the client. ``graph_query`` translates a small
openCypher core into one SQL join (``cypher``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnicloud.providers.postgres._client import psycopg_module
from omnicloud.providers.postgres.interfaces import cypher
from omnicloud.providers.postgres.interfaces import graph_algorithms as algo
from omnicloud.providers.postgres.interfaces._core import StoreCore, errors
from tck_py.interfaces.models import Edge

DDL = (
    "CREATE TABLE IF NOT EXISTS ocs_graph_nodes (ns text NOT NULL, graph text NOT NULL,"
    " id text NOT NULL, props jsonb NOT NULL, PRIMARY KEY (ns, graph, id))",
    "CREATE TABLE IF NOT EXISTS ocs_graph_edges (id bigserial PRIMARY KEY, ns text NOT NULL,"
    " graph text NOT NULL, source text NOT NULL, target text NOT NULL, label text NOT NULL,"
    " props jsonb NOT NULL,"
    " FOREIGN KEY (ns, graph, source) REFERENCES ocs_graph_nodes ON DELETE CASCADE,"
    " FOREIGN KEY (ns, graph, target) REFERENCES ocs_graph_nodes ON DELETE CASCADE)",
    "CREATE INDEX IF NOT EXISTS ocs_graph_out ON ocs_graph_edges (ns, graph, source)",
    "CREATE INDEX IF NOT EXISTS ocs_graph_in ON ocs_graph_edges (ns, graph, target)",
)

_REACHABLE = (
    "WITH RECURSIVE reach(id) AS (SELECT %s::text UNION SELECT e.target FROM ocs_graph_edges e"
    " JOIN reach r ON e.source = r.id WHERE e.ns = %s AND e.graph = %s)"
    " SELECT e.source, e.target FROM ocs_graph_edges e JOIN reach r ON e.source = r.id"
    " WHERE e.ns = %s AND e.graph = %s"
)


def _edge(row: Any) -> Edge:
    return Edge(str(row[0]), row[1], row[2], row[3], dict(row[4]))


def _edge_id(edge_id: str) -> int | None:
    return int(edge_id) if edge_id.isdigit() else None


class GraphMixin(StoreCore):
    async def graph_add_node(
        self, graph: str, node_id: str, properties: Mapping[str, Any] | None = None
    ) -> None:
        jsonb = psycopg_module().types.json.Jsonb
        await self._execute(
            "INSERT INTO ocs_graph_nodes VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (ns, graph, id) DO UPDATE SET props = EXCLUDED.props",
            (self._ns, graph, node_id, jsonb(dict(properties or {}))),
        )

    async def graph_add_edge(
        self,
        graph: str,
        source: str,
        target: str,
        label: str = "",
        properties: Mapping[str, Any] | None = None,
    ) -> str:
        jsonb = psycopg_module().types.json.Jsonb
        try:
            row = await self._fetchone(
                "INSERT INTO ocs_graph_edges (ns, graph, source, target, label, props)"
                " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (self._ns, graph, source, target, label, jsonb(dict(properties or {}))),
            )
        except errors().ForeignKeyViolation:
            raise KeyError(f"graph {graph!r} has no node {source!r} or {target!r}") from None
        return str(row[0])

    async def graph_delete_node(self, graph: str, node_id: str) -> bool:
        deleted = await self._execute(
            "DELETE FROM ocs_graph_nodes WHERE ns = %s AND graph = %s AND id = %s",
            (self._ns, graph, node_id),
        )
        return deleted == 1

    async def graph_delete_edge(self, graph: str, edge_id: str) -> bool:
        number = _edge_id(edge_id)
        return (
            number is not None
            and await self._execute(
                "DELETE FROM ocs_graph_edges WHERE ns = %s AND graph = %s AND id = %s",
                (self._ns, graph, number),
            )
            == 1
        )

    async def graph_get_node(self, graph: str, node_id: str) -> dict[str, Any] | None:
        row = await self._fetchone(
            "SELECT props FROM ocs_graph_nodes WHERE ns = %s AND graph = %s AND id = %s",
            (self._ns, graph, node_id),
        )
        return None if row is None else dict(row[0])

    async def graph_edges(self, graph: str, node_id: str) -> list[Edge]:
        rows = await self._fetchall(
            "SELECT id, source, target, label, props FROM ocs_graph_edges WHERE ns = %s"
            " AND graph = %s AND (source = %s OR target = %s) ORDER BY id",
            (self._ns, graph, node_id, node_id),
        )
        return [_edge(row) for row in rows]

    # ------------------------------------------------------------------------- traversal
    async def _require(self, graph: str, *nodes: str) -> None:
        rows = await self._fetchall(
            "SELECT id FROM ocs_graph_nodes WHERE ns = %s AND graph = %s AND id = ANY(%s)",
            (self._ns, graph, list(nodes)),
        )
        missing = set(nodes) - {row[0] for row in rows}
        if missing:
            raise KeyError(f"graph {graph!r} has no node {sorted(missing)[0]!r}")

    async def _reachable(self, graph: str, start: str) -> algo.Adjacency:
        """Out-edges of every node reachable from ``start`` (which must exist)."""
        await self._require(graph, start)
        rows = await self._fetchall(_REACHABLE, (start, self._ns, graph, self._ns, graph))
        return algo.adjacency(rows)

    async def graph_traverse_dfs(
        self, graph: str, start: str, max_depth: int | None = None
    ) -> list[str]:
        return algo.dfs(await self._reachable(graph, start), start, max_depth)

    async def graph_traverse_bfs(
        self, graph: str, start: str, max_depth: int | None = None
    ) -> list[str]:
        return algo.bfs(await self._reachable(graph, start), start, max_depth)

    # ----------------------------------------------------------------------------- query
    async def graph_query(
        self,
        graph: str,
        language: str,
        query: str,
        parameters: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Run an openCypher-core query (``language="cypher"``) as one SQL query."""
        if language.lower() != "cypher":
            raise ValueError(f"unsupported query language {language!r} (supported: 'cypher')")
        plan = cypher.translate(query, dict(parameters or {}), self._ns, graph)
        rows = [
            dict(zip(plan.columns, row[0], strict=True))
            for row in await self._fetchall(plan.sql, plan.params)
        ]
        return sorted(rows, key=lambda row: [str(v) for v in row.values()])

    # ------------------------------------------------------------------------- analytics
    async def graph_shortest_path(self, graph: str, source: str, target: str) -> list[str] | None:
        await self._require(graph, source, target)
        return algo.shortest_path(await self._reachable(graph, source), source, target)

    async def _whole(self, graph: str) -> tuple[list[str], list[tuple[str, str]]]:
        nodes = await self._fetchall(
            "SELECT id FROM ocs_graph_nodes WHERE ns = %s AND graph = %s", (self._ns, graph)
        )
        edges = await self._fetchall(
            "SELECT source, target FROM ocs_graph_edges WHERE ns = %s AND graph = %s",
            (self._ns, graph),
        )
        return [row[0] for row in nodes], [(s, t) for s, t in edges]

    async def graph_pagerank(
        self, graph: str, damping: float = 0.85, iterations: int = 50
    ) -> dict[str, float]:
        if not 0 < damping < 1:
            raise ValueError(f"damping must be in (0, 1), got {damping!r}")
        nodes, edges = await self._whole(graph)
        return algo.pagerank(nodes, edges, damping, iterations)

    async def graph_connected_components(self, graph: str) -> list[set[str]]:
        return algo.connected_components(*await self._whole(graph))
