"""Pure parts of the PostgreSQL store: key ranges, filter and pipeline SQL, Cypher, graph walks."""

from __future__ import annotations

import pytest

from omnicloud.providers.postgres.interfaces import graph_algorithms as algo
from omnicloud.providers.postgres.interfaces.cypher import translate
from omnicloud.providers.postgres.interfaces.document_sql import compile_filter, compile_pipeline
from omnicloud.providers.postgres.interfaces.keyvalue import prefix_range


@pytest.mark.parametrize(
    ("prefix", "low", "high"),
    [
        ("", b"", None),
        ("a", b"a", b"b"),
        ("a\x7f", b"a\x7f", b"a\x80"),
        ("ÿ", "ÿ".encode(), b"\xc3\xc0"),
    ],
)
def test_a_prefix_is_a_half_open_byte_range(prefix: str, low: bytes, high: bytes | None) -> None:
    assert prefix_range(prefix) == (low, high)


def test_filter_values_are_quoted_literals_never_sql() -> None:
    sql = compile_filter({"name": "x'); DROP TABLE ocs_docs; --"})
    assert "'\"x''); DROP TABLE ocs_docs; --\"'::jsonb" in sql


def test_lists_and_objects_compare_by_equality_not_containment() -> None:
    sql = compile_filter({"tags": ["a"], "meta": {"k": 1}})
    assert "@>" not in sql
    assert sql.count(" = ") == 2


@pytest.mark.parametrize(
    "stages",
    [
        [{"$regex": "x"}],
        [{"$group": {"_id": None, "n": {"$median": "$age"}}}],
        [{"$match": {}, "$limit": 1}],
    ],
)
def test_unsupported_pipelines_are_value_errors(stages: list[dict[str, object]]) -> None:
    with pytest.raises(ValueError):
        compile_pipeline(stages, "SELECT seq, doc FROM ocs_docs")


def test_cypher_translation_binds_every_value() -> None:
    plan = translate(
        "MATCH (a)-[:KNOWS]->(b) WHERE a.id = $id AND b.age = 25 RETURN b.id, b.age",
        {"id": "alice"},
        "ns",
        "g",
    )
    assert plan.columns == ["b.id", "b.age"]
    assert plan.params == ["age", "ns", "g", "KNOWS", '"alice"', "age", "25"]
    assert "alice" not in plan.sql
    assert plan.sql.count("%s") == len(plan.params)


@pytest.mark.parametrize(
    "query",
    [
        "MATCH (a) RETURN a",
        "MATCH (a) WHERE a.x > 1 RETURN a.id",
        "MATCH (a) WHERE b.x = 1 RETURN a.id",
        "MATCH (a)-[:X]->(a) RETURN a.id",
        "MATCH (a) WHERE a.x = $missing RETURN a.id",
        "CREATE (a)",
    ],
)
def test_cypher_outside_the_core_is_a_value_error(query: str) -> None:
    with pytest.raises(ValueError):
        translate(query, {}, "ns", "g")


def test_walks_visit_neighbours_in_id_order_once() -> None:
    out = algo.adjacency([("a", "c"), ("a", "b"), ("b", "d"), ("c", "d"), ("d", "a")])
    assert algo.dfs(out, "a", None) == ["a", "b", "d", "c"]
    assert algo.bfs(out, "a", None) == ["a", "b", "c", "d"]
    assert algo.bfs(out, "a", 1) == ["a", "b", "c"]
    assert algo.shortest_path(out, "a", "d") == ["a", "b", "d"]
    assert algo.shortest_path(out, "d", "x") is None
