"""Document interfaces: basic, query, indexing (JSON documents with a string ``_id``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tck_py.interfaces._support import InterfaceSuite, ProviderFactory, unique
from tck_py.interfaces.errors import DuplicateKeyError

PEOPLE = [
    {"_id": "1", "name": "ann", "age": 30, "address": {"city": "paris"}, "tags": ["a"]},
    {"_id": "2", "name": "bob", "age": 25, "address": {"city": "rome"}},
    {"_id": "3", "name": "cid", "age": 35, "address": {"city": "paris"}},
    {"_id": "4", "name": "dan"},
]


def _ids(docs: list[dict[str, Any]]) -> list[str]:
    return [d["_id"] for d in docs]


async def _people(p: Any) -> str:
    collection = unique("c")
    for doc in PEOPLE:
        await p.doc_insert(collection, doc)
    return collection


class BaseTestDocumentBasicInterface(InterfaceSuite):
    """document_basic: doc_insert, doc_get, doc_update, doc_delete."""

    interface = "document_basic"

    async def test_insert_and_get(self, provider_factory: ProviderFactory) -> None:
        p, c = await provider_factory(), unique("c")
        doc = {"_id": "x", "n": 1, "nested": {"list": [1, "two", None, True, 2.5]}, "ü": "☃"}
        assert await p.doc_insert(c, doc) == "x"
        assert await p.doc_get(c, "x") == doc
        assert await p.doc_get(c, "missing") is None

    async def test_generated_ids_are_unique_and_callers_dict_untouched(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, c = await provider_factory(), unique("c")
        doc = {"n": 1}
        ids = {await p.doc_insert(c, doc) for _ in range(5)}
        assert len(ids) == 5
        assert doc == {"n": 1}
        some = ids.pop()
        assert await p.doc_get(c, some) == {"_id": some, "n": 1}

    async def test_duplicate_id_is_refused(self, provider_factory: ProviderFactory) -> None:
        p, c = await provider_factory(), unique("c")
        await p.doc_insert(c, {"_id": "x", "v": "original"})
        with pytest.raises(DuplicateKeyError):
            await p.doc_insert(c, {"_id": "x", "v": "clobber"})
        assert (await p.doc_get(c, "x"))["v"] == "original"

    async def test_update_sets_fields_and_keeps_others(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, c = await provider_factory(), unique("c")
        await p.doc_insert(c, {"_id": "x", "a": 1, "b": 2})
        assert await p.doc_update(c, "x", {"b": 3, "c": {"d": 4}}) is True
        assert await p.doc_get(c, "x") == {"_id": "x", "a": 1, "b": 3, "c": {"d": 4}}
        assert await p.doc_update(c, "missing", {"a": 1}) is False
        assert await p.doc_get(c, "missing") is None

    async def test_id_cannot_change(self, provider_factory: ProviderFactory) -> None:
        p, c = await provider_factory(), unique("c")
        await p.doc_insert(c, {"_id": "x"})
        with pytest.raises(ValueError):
            await p.doc_update(c, "x", {"_id": "y"})
        assert await p.doc_get(c, "y") is None

    async def test_delete(self, provider_factory: ProviderFactory) -> None:
        p, c = await provider_factory(), unique("c")
        await p.doc_insert(c, {"_id": "x"})
        assert await p.doc_delete(c, "x") is True
        assert await p.doc_delete(c, "x") is False
        assert await p.doc_get(c, "x") is None

    async def test_results_are_copies(self, provider_factory: ProviderFactory) -> None:
        p, c = await provider_factory(), unique("c")
        tags = ["a"]
        await p.doc_insert(c, {"_id": "x", "tags": tags})
        tags.append("after-insert")
        got = await p.doc_get(c, "x")
        got["tags"].append("after-get")
        assert (await p.doc_get(c, "x"))["tags"] == ["a"]

    async def test_collections_are_isolated(self, provider_factory: ProviderFactory) -> None:
        p, a, b = await provider_factory(), unique("c"), unique("c")
        await p.doc_insert(a, {"_id": "x"})
        assert await p.doc_get(b, "x") is None
        assert await p.doc_insert(b, {"_id": "x"}) == "x"

    async def test_concurrent_inserts(self, provider_factory: ProviderFactory) -> None:
        p, c = await provider_factory(), unique("c")
        ids = await asyncio.gather(*(p.doc_insert(c, {"i": i}) for i in range(50)))
        assert len(set(ids)) == 50
        docs = await asyncio.gather(*(p.doc_get(c, i) for i in ids))
        assert [d["i"] for d in docs] == list(range(50))

    async def test_concurrent_inserts_of_one_id_let_one_win(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, c = await provider_factory(), unique("c")
        results = await asyncio.gather(
            *(p.doc_insert(c, {"_id": "same", "i": i}) for i in range(10)), return_exceptions=True
        )
        assert sum(r == "same" for r in results) == 1
        assert all(isinstance(r, DuplicateKeyError) for r in results if r != "same")


class BaseTestDocumentQueryInterface(InterfaceSuite):
    """document_query: doc_find, doc_find_one, doc_aggregate (a Mongo-style subset)."""

    interface = "document_query"

    @pytest.mark.parametrize(
        ("filter_", "expected"),
        [
            ({}, ["1", "2", "3", "4"]),
            ({"name": "bob"}, ["2"]),
            ({"address.city": "paris"}, ["1", "3"]),
            ({"address.city": "paris", "age": 35}, ["3"]),
            ({"age": {"$gt": 25}}, ["1", "3"]),
            ({"age": {"$gte": 25, "$lt": 35}}, ["1", "2"]),
            ({"age": {"$lte": 25}}, ["2"]),
            ({"age": {"$ne": 30}}, ["2", "3", "4"]),
            ({"name": {"$in": ["ann", "dan", "zed"]}}, ["1", "4"]),
            ({"missing": "x"}, []),
            ({"address": {"city": "rome"}}, ["2"]),
        ],
    )
    async def test_filters(
        self, provider_factory: ProviderFactory, filter_: dict[str, Any], expected: list[str]
    ) -> None:
        p = await provider_factory()
        c = await _people(p)
        assert sorted(_ids(await p.doc_find(c, filter_))) == expected

    async def test_list_and_object_values_match_exactly(
        self, provider_factory: ProviderFactory
    ) -> None:
        """A list or object in a filter matches only an equal value, never one containing it.

        A containment filter (PostgreSQL JSONB ``@>``) passed before this test: it lets
        ``{"tags": ["a"]}`` match ``["a", "b"]``. Lists are ordered, objects have exactly their
        keys, and a scalar does not match a list holding it (no Mongo array-element matching).
        """
        p, c = await provider_factory(), unique("c")
        for doc_id, tags, meta in [
            ("exact", ["a"], {"k": 1}),
            ("more", ["a", "b"], {"k": 1, "x": 2}),
            ("reordered", ["b", "a"], {"x": 2, "k": 1}),
            ("nested", [["a"]], {"k": {"k": 1}}),
        ]:
            await p.doc_insert(c, {"_id": doc_id, "tags": tags, "meta": meta})
        assert _ids(await p.doc_find(c, {"tags": ["a"]})) == ["exact"]
        assert _ids(await p.doc_find(c, {"tags": ["a", "b"]})) == ["more"]
        assert _ids(await p.doc_find(c, {"meta": {"k": 1}})) == ["exact"]
        assert sorted(_ids(await p.doc_find(c, {"meta": {"k": 1, "x": 2}}))) == [
            "more",
            "reordered",
        ]
        assert await p.doc_find(c, {"tags": "a"}) == []
        assert _ids(await p.doc_find(c, {"tags": {"$in": [["a"], ["z"]]}})) == ["exact"]

    async def test_a_bool_never_equals_a_number(self, provider_factory: ProviderFactory) -> None:
        """``True`` does not match ``1`` nor ``False`` ``0``, at any depth (MongoDB and JSONB
        agree; Python's ``True == 1`` does not). The two in-tree reference filters disagreed.
        """
        p, c = await provider_factory(), unique("c")
        for doc_id, value in [("true", True), ("one", 1), ("false", False), ("zero", 0)]:
            await p.doc_insert(c, {"_id": doc_id, "v": value, "list": [value]})
        assert _ids(await p.doc_find(c, {"v": True})) == ["true"]
        assert _ids(await p.doc_find(c, {"v": 1})) == ["one"]
        assert _ids(await p.doc_find(c, {"v": 0})) == ["zero"]
        assert _ids(await p.doc_find(c, {"list": [False]})) == ["false"]
        assert sorted(_ids(await p.doc_find(c, {"v": {"$ne": 1}}))) == ["false", "true", "zero"]
        assert _ids(await p.doc_find(c, {"v": {"$in": [True]}})) == ["true"]

    async def test_sort_and_limit(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        c = await _people(p)
        found = await p.doc_find(c, {"age": {"$gte": 25}}, sort=[("age", -1)], limit=2)
        assert _ids(found) == ["3", "1"]
        assert _ids(await p.doc_find(c, {"age": {"$gte": 0}}, sort=[("age", 1)])) == ["2", "1", "3"]
        assert _ids(await p.doc_find(c, {}, 1, [("name", 1)])) == ["1"]

    async def test_find_one(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        c = await _people(p)
        found = await p.doc_find_one(c, {"name": "cid"})
        assert found == PEOPLE[2]
        assert await p.doc_find_one(c, {"name": "nobody"}) is None

    async def test_aggregate_group_and_sort(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        c = await _people(p)
        rows = await p.doc_aggregate(
            c,
            [
                {"$match": {"age": {"$gte": 0}}},
                {
                    "$group": {
                        "_id": "$address.city",
                        "total": {"$sum": "$age"},
                        "mean": {"$avg": "$age"},
                        "oldest": {"$max": "$age"},
                    }
                },
                {"$sort": {"_id": 1}},
            ],
        )
        assert [dict(r) for r in rows] == [
            {"_id": "paris", "total": 65, "mean": 32.5, "oldest": 35},
            {"_id": "rome", "total": 25, "mean": 25.0, "oldest": 25},
        ]

    async def test_aggregate_limit_and_count(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        c = await _people(p)
        rows = await p.doc_aggregate(
            c,
            [
                {"$group": {"_id": None, "n": {"$sum": 1}, "youngest": {"$min": "$age"}}},
            ],
        )
        assert [dict(r) for r in rows] == [{"_id": None, "n": 4, "youngest": 25}]
        limited = await p.doc_aggregate(c, [{"$sort": {"age": -1}}, {"$limit": 1}])
        assert _ids(limited) == ["3"]

    async def test_results_are_copies(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        c = await _people(p)
        (first,) = await p.doc_find(c, {"_id": "1"})
        first["tags"].append("intruder")
        assert (await p.doc_get(c, "1"))["tags"] == ["a"]

    async def test_unknown_operator_is_rejected(self, provider_factory: ProviderFactory) -> None:
        p = await provider_factory()
        c = await _people(p)
        with pytest.raises(ValueError):
            await p.doc_find(c, {"age": {"$regex": "3"}})


class BaseTestDocumentIndexingInterface(InterfaceSuite):
    """document_indexing: doc_create_index, doc_drop_index, doc_list_indexes; unique indexes."""

    interface = "document_indexing"

    async def test_create_list_drop(self, provider_factory: ProviderFactory) -> None:
        p, c = await provider_factory(), unique("c")
        name = await p.doc_create_index(c, ["email"], unique=True)
        other = await p.doc_create_index(c, ["last", "first"])
        assert await p.doc_create_index(c, ["email"], unique=True) == name  # idempotent
        listed = {i.name: (tuple(i.fields), i.unique) for i in await p.doc_list_indexes(c)}
        assert listed == {name: (("email",), True), other: (("last", "first"), False)}
        assert await p.doc_drop_index(c, name) is True
        assert await p.doc_drop_index(c, name) is False
        assert [i.name for i in await p.doc_list_indexes(c)] == [other]

    async def test_unique_index_refuses_duplicates(self, provider_factory: ProviderFactory) -> None:
        p, c = await provider_factory(), unique("c")
        await p.doc_create_index(c, ["email"], unique=True)
        await p.doc_insert(c, {"_id": "a", "email": "x@example.org"})
        with pytest.raises(DuplicateKeyError):
            await p.doc_insert(c, {"_id": "b", "email": "x@example.org"})
        assert await p.doc_get(c, "b") is None
        await p.doc_insert(c, {"_id": "c", "email": "y@example.org"})
        with pytest.raises(DuplicateKeyError):
            await p.doc_update(c, "c", {"email": "x@example.org"})
        assert (await p.doc_get(c, "c"))["email"] == "y@example.org"

    async def test_documents_without_the_field_do_not_collide(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, c = await provider_factory(), unique("c")
        await p.doc_create_index(c, ["email"], unique=True)
        await p.doc_insert(c, {"_id": "a"})
        await p.doc_insert(c, {"_id": "b"})
        assert await p.doc_get(c, "b") == {"_id": "b"}

    async def test_unique_index_over_existing_duplicates_fails(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, c = await provider_factory(), unique("c")
        await p.doc_insert(c, {"_id": "a", "k": 1})
        await p.doc_insert(c, {"_id": "b", "k": 1})
        with pytest.raises(DuplicateKeyError):
            await p.doc_create_index(c, ["k"], unique=True)
        assert list(await p.doc_list_indexes(c)) == []

    async def test_non_unique_index_allows_duplicates(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, c = await provider_factory(), unique("c")
        await p.doc_create_index(c, ["k"])
        await p.doc_insert(c, {"_id": "a", "k": 1})
        await p.doc_insert(c, {"_id": "b", "k": 1})
        assert sorted(_ids(await p.doc_find(c, {"k": 1}))) == ["a", "b"]
