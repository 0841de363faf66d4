"""graph_basic and graph_traversal on Redis hashes, sets and sorted sets, walked in Lua.

A graph is a hash of nodes (id -> JSON properties), a hash of edge ends (id -> ``<byte length of
source>:<source><target>``), a hash of edge data (id -> JSON ``[label, properties]``) and, per
node, the set of edges touching it plus its out-neighbours: a sorted set with every score 0, so
Redis keeps the neighbours in byte order (= code point order) as traversals need, with a hash
counting parallel edges. Writes that touch several keys are Lua scripts (atomic on the server);
depth- and breadth-first walks run in a Lua script too, on the server, in one round trip.

The scripts name per-node keys from the graph's key prefix, which a single Redis server allows
(not Redis Cluster). Graph queries (openCypher) and analytics are not implemented: core Redis has
no graph query engine (see docs/backends/redis.md).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from omnicloud.providers.redis.interfaces._core import RedisCore, must_text
from tck_py.interfaces.models import Edge

# ARGV[1]: the graph's key prefix. Key of a per-node structure: prefix .. part .. ':' .. node.
_COMMON = """
local P = ARGV[1]
local function k(part, node) return P .. part .. ':' .. node end
local function ends(edge)
  local value = redis.call('HGET', P .. 'edge-ends', edge)
  if not value then return nil end
  local colon = string.find(value, ':', 1, true)
  local length = tonumber(string.sub(value, 1, colon - 1))
  return string.sub(value, colon + 1, colon + length), string.sub(value, colon + length + 1)
end
local function drop_edge(edge)
  local source, target = ends(edge)
  if not source then return 0 end
  redis.call('HDEL', P .. 'edge-ends', edge)
  redis.call('HDEL', P .. 'edge-data', edge)
  redis.call('SREM', k('touching', source), edge)
  redis.call('SREM', k('touching', target), edge)
  if redis.call('HINCRBY', k('out-count', source), target, -1) <= 0 then
    redis.call('HDEL', k('out-count', source), target)
    redis.call('ZREM', k('out', source), target)
  end
  return 1
end
"""

# ARGV[2..6]: edge id, source, target, ends, data. 0 when an end is missing.
_ADD_EDGE = (
    _COMMON
    + """
local edge, source, target = ARGV[2], ARGV[3], ARGV[4]
if redis.call('HEXISTS', P .. 'nodes', source) == 0 then return 'source' end
if redis.call('HEXISTS', P .. 'nodes', target) == 0 then return 'target' end
redis.call('HSET', P .. 'edge-ends', edge, ARGV[5])
redis.call('HSET', P .. 'edge-data', edge, ARGV[6])
redis.call('SADD', k('touching', source), edge)
redis.call('SADD', k('touching', target), edge)
redis.call('HINCRBY', k('out-count', source), target, 1)
redis.call('ZADD', k('out', source), 0, target)
return 'ok'
"""
)

_DELETE_EDGE = (
    _COMMON
    + """
return drop_edge(ARGV[2])
"""
)

_DELETE_NODE = (
    _COMMON
    + """
local node = ARGV[2]
if redis.call('HDEL', P .. 'nodes', node) == 0 then return 0 end
for _, edge in ipairs(redis.call('SMEMBERS', k('touching', node))) do drop_edge(edge) end
redis.call('DEL', k('touching', node), k('out', node), k('out-count', node))
return 1
"""
)

# ARGV[2]: start, ARGV[3]: 'dfs' or 'bfs', ARGV[4]: max depth (-1: unlimited).
# false when the start node does not exist.
_TRAVERSE = (
    _COMMON
    + """
local start, mode, max_depth = ARGV[2], ARGV[3], tonumber(ARGV[4])
if redis.call('HEXISTS', P .. 'nodes', start) == 0 then return false end
local function deeper(depth) return max_depth < 0 or depth < max_depth end
local function out(node) return redis.call('ZRANGE', k('out', node), 0, -1) end
local seen, order = {[start] = true}, {start}
if mode == 'bfs' then
  local frontier, depth = {start}, 0
  while #frontier > 0 and deeper(depth) do
    local following = {}
    for _, node in ipairs(frontier) do
      for _, child in ipairs(out(node)) do
        if not seen[child] then
          seen[child] = true
          order[#order + 1] = child
          following[#following + 1] = child
        end
      end
    end
    frontier, depth = following, depth + 1
  end
  return order
end
local stack = {{start, 0, out(start), 1}}
while #stack > 0 do
  local top = stack[#stack]
  local children, child = top[3], nil
  while top[4] <= #children do
    local candidate = children[top[4]]
    top[4] = top[4] + 1
    if not seen[candidate] then child = candidate break end
  end
  if child == nil or not deeper(top[2]) then
    stack[#stack] = nil
  else
    seen[child] = true
    order[#order + 1] = child
    stack[#stack + 1] = {child, top[2] + 1, out(child), 1}
  end
end
return order
"""
)


def _edge_ends(source: str, target: str) -> str:
    return f"{len(source.encode())}:{source}{target}"


class GraphMixin(RedisCore):
    """Directed property graphs with parallel edges."""

    def _graph_prefix(self, graph: str) -> str:
        # the graph name's byte length first: no two graphs share a key prefix
        return self._key("graph", f"{len(graph.encode())}:{graph}:")

    async def _graph_run(self, source: str, graph: str, *args: Any) -> Any:
        return await self._script(source)(keys=[], args=[self._graph_prefix(graph), *args])

    # graph_basic
    async def graph_add_node(
        self, graph: str, node_id: str, properties: Mapping[str, Any] | None = None
    ) -> None:
        nodes = self._graph_prefix(graph) + "nodes"
        await self._client.hset(nodes, node_id, json.dumps(dict(properties or {})))

    async def graph_add_edge(
        self,
        graph: str,
        source: str,
        target: str,
        label: str = "",
        properties: Mapping[str, Any] | None = None,
    ) -> str:
        edge_id = uuid.uuid4().hex
        data = json.dumps([label, dict(properties or {})])
        outcome = must_text(
            await self._graph_run(
                _ADD_EDGE, graph, edge_id, source, target, _edge_ends(source, target), data
            )
        )
        if outcome != "ok":
            missing = source if outcome == "source" else target
            raise KeyError(f"no node {missing!r} in graph {graph!r}")
        return edge_id

    async def graph_delete_node(self, graph: str, node_id: str) -> bool:
        return bool(await self._graph_run(_DELETE_NODE, graph, node_id))

    async def graph_delete_edge(self, graph: str, edge_id: str) -> bool:
        return bool(await self._graph_run(_DELETE_EDGE, graph, edge_id))

    async def graph_get_node(self, graph: str, node_id: str) -> dict[str, Any] | None:
        stored = await self._client.hget(self._graph_prefix(graph) + "nodes", node_id)
        return None if stored is None else dict(json.loads(stored))

    async def graph_edges(self, graph: str, node_id: str) -> list[Edge]:
        prefix = self._graph_prefix(graph)
        ids = sorted(
            must_text(e) for e in await self._client.smembers(f"{prefix}touching:{node_id}")
        )
        if not ids:
            return []
        ends = await self._client.hmget(prefix + "edge-ends", ids)
        data = await self._client.hmget(prefix + "edge-data", ids)
        return [
            _edge(edge_id, must_text(e), d)
            for edge_id, e, d in zip(ids, ends, data, strict=True)
            if e is not None and d is not None
        ]

    # graph_traversal
    async def _traverse(
        self, graph: str, start: str, mode: str, max_depth: int | None
    ) -> list[str]:
        depth = -1 if max_depth is None else max(max_depth, 0)
        order = await self._graph_run(_TRAVERSE, graph, start, mode, depth)
        if order is None:
            raise KeyError(f"no node {start!r} in graph {graph!r}")
        return [must_text(node) for node in order]

    async def graph_traverse_dfs(
        self, graph: str, start: str, max_depth: int | None = None
    ) -> list[str]:
        return await self._traverse(graph, start, "dfs", max_depth)

    async def graph_traverse_bfs(
        self, graph: str, start: str, max_depth: int | None = None
    ) -> list[str]:
        return await self._traverse(graph, start, "bfs", max_depth)


def _edge(edge_id: str, ends: str, data: bytes) -> Edge:
    length, _, rest = ends.partition(":")
    source_bytes = rest.encode()[: int(length)]
    source = source_bytes.decode()
    label, properties = json.loads(data)
    return Edge(edge_id, source, rest[len(source) :], label, properties)
