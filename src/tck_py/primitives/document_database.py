"""Document database contract.

Fixture: ``provider_factory`` (sync) returning an async callable;
``provider, cleanup = await provider_factory()``. ``cleanup(collection)`` is an async callable
that empties a collection; every test calls it in ``finally``. Provider methods (all async,
positional): ``insert_one(collection, document)``, ``find_one(collection, filter) -> dict |
None``, ``find_many(collection, filter) -> list[dict]``, ``update_one(collection, filter,
update_spec)`` (Mongo-style ``{"$set": {...}}``) and ``delete_one(collection, filter)``.
Filters are field equality; several fields mean all must match; ``{}`` matches every document.

Beyond upstream, each test checks one guarantee: ``find_many`` returns exactly the equal matches
(not prefixes, not other types, not other collections), ``$set`` keeps the other fields,
``update_one``/``delete_one`` touch one document only and never insert, returned and inserted
documents are copies (nested values included), values of every JSON type round-trip, concurrent
inserts and concurrent ``$set`` of different fields lose nothing, and a stateful hypothesis test
drives the provider next to a model.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from tck_py.primitives._support import Caller, random_text, run_stateful, unique

ProviderFactory = Callable[..., Awaitable[Any]]

#: Number of operations issued at once by the concurrency tests.
CONCURRENT_INSERTS = 100
CONCURRENT_FIELD_UPDATES = 20
#: Size of the string field in the large-document test.
LARGE_FIELD_CHARS = 1024 * 1024

STATEFUL_IDS = ("d1", "d2", "d3", "d4")
STATEFUL_TAGS = ("t", "T", "tt")


def _collection() -> str:
    return unique("collection")


def _doc_id() -> str:
    return unique("doc")


def _ids(documents: list[dict[str, Any]]) -> list[str]:
    return sorted(doc["_id"] for doc in documents)


@pytest.mark.asyncio
class BaseTestDocumentDatabaseContract:
    """The document database contract. Subclass it and override ``provider_factory``."""

    @pytest.fixture
    def provider_factory(self) -> ProviderFactory:
        raise NotImplementedError(
            "override the 'provider_factory' fixture in your test class: it must return an async"
            " callable that returns (provider, cleanup), cleanup(collection) being an async"
            " callable that empties the collection"
        )

    # -- upstream tests ---------------------------------------------------------------------

    async def test_insert_one_and_find_one(self, provider_factory: ProviderFactory) -> None:
        provider, cleanup = await provider_factory()
        collection, doc_id = _collection(), _doc_id()
        try:
            await provider.insert_one(collection, {"_id": doc_id, "data": "value"})
            found = await provider.find_one(collection, {"_id": doc_id})
            assert found is not None
            assert found["_id"] == doc_id
            assert found["data"] == "value"
        finally:
            await cleanup(collection)

    async def test_find_one_non_existent_returns_none(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            assert await provider.find_one(collection, {"_id": _doc_id()}) is None
        finally:
            await cleanup(collection)

    async def test_update_one_modifies_document(self, provider_factory: ProviderFactory) -> None:
        provider, cleanup = await provider_factory()
        collection, doc_id = _collection(), _doc_id()
        try:
            await provider.insert_one(
                collection, {"_id": doc_id, "status": "pending", "version": 1}
            )
            await provider.update_one(
                collection, {"_id": doc_id}, {"$set": {"status": "completed", "version": 2}}
            )
            found = await provider.find_one(collection, {"_id": doc_id})
            assert found is not None
            assert found["status"] == "completed"
            assert found["version"] == 2
        finally:
            await cleanup(collection)

    async def test_delete_one_removes_document(self, provider_factory: ProviderFactory) -> None:
        provider, cleanup = await provider_factory()
        collection, doc_id = _collection(), _doc_id()
        try:
            await provider.insert_one(collection, {"_id": doc_id, "data": "value"})
            assert await provider.find_one(collection, {"_id": doc_id}) is not None
            await provider.delete_one(collection, {"_id": doc_id})
            assert await provider.find_one(collection, {"_id": doc_id}) is None
        finally:
            await cleanup(collection)

    async def test_find_many_returns_multiple_documents(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection, tag = _collection(), unique("tag")
        try:
            await provider.insert_one(collection, {"_id": _doc_id(), "tag": tag, "index": 1})
            await provider.insert_one(collection, {"_id": _doc_id(), "tag": tag, "index": 2})
            await provider.insert_one(collection, {"_id": _doc_id(), "tag": "other", "index": 3})
            found = await provider.find_many(collection, {"tag": tag})
            assert isinstance(found, list)
            assert len(found) == 2
            assert {doc["index"] for doc in found} == {1, 2}
        finally:
            await cleanup(collection)

    async def test_insert_without_id_stores_the_document_with_a_generated_id(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection, tag = _collection(), unique("tag")
        try:
            await provider.insert_one(collection, {"tag": tag, "v": 1})
            found = await provider.find_many(collection, {"tag": tag})
            assert len(found) == 1
            assert found[0]["_id"] is not None
            assert await provider.find_one(collection, {"_id": found[0]["_id"]}) == found[0]
        finally:
            await cleanup(collection)

    # -- queries match exactly --------------------------------------------------------------

    async def test_find_many_returns_only_equal_values(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        near_misses = ["a", "ab", "A", " a", "a ", "", 1]
        try:
            await provider.insert_one(collection, {"_id": "match", "tag": "a"})
            for i, value in enumerate(near_misses[1:]):
                await provider.insert_one(collection, {"_id": f"miss-{i}", "tag": value})
            await provider.insert_one(collection, {"_id": "no-tag", "other": "a"})
            found = await provider.find_many(collection, {"tag": "a"})
            assert _ids(found) == ["match"]
        finally:
            await cleanup(collection)

    async def test_find_many_does_not_confuse_a_number_with_its_string(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            await provider.insert_one(collection, {"_id": "number", "n": 1})
            await provider.insert_one(collection, {"_id": "string", "n": "1"})
            assert _ids(await provider.find_many(collection, {"n": 1})) == ["number"]
            assert _ids(await provider.find_many(collection, {"n": "1"})) == ["string"]
        finally:
            await cleanup(collection)

    async def test_list_and_object_values_match_exactly(
        self, provider_factory: ProviderFactory
    ) -> None:
        """A list or object in a filter matches only an equal value, never one containing it.

        A containment filter (PostgreSQL JSONB ``@>``) passed before this test: it lets
        ``{"tags": ["a"]}`` match ``["a", "b"]``. Lists are ordered, objects have exactly their
        keys, and a scalar does not match a list holding it.
        """
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            for doc_id, tags, meta in [
                ("exact", ["a"], {"k": 1}),
                ("more", ["a", "b"], {"k": 1, "x": 2}),
                ("reordered", ["b", "a"], {"x": 2, "k": 1}),
            ]:
                await provider.insert_one(collection, {"_id": doc_id, "tags": tags, "meta": meta})
            assert _ids(await provider.find_many(collection, {"tags": ["a"]})) == ["exact"]
            assert _ids(await provider.find_many(collection, {"tags": ["a", "b"]})) == ["more"]
            assert _ids(await provider.find_many(collection, {"meta": {"k": 1}})) == ["exact"]
            both = await provider.find_many(collection, {"meta": {"k": 1, "x": 2}})
            assert _ids(both) == ["more", "reordered"]
            assert await provider.find_many(collection, {"tags": "a"}) == []
        finally:
            await cleanup(collection)

    async def test_a_bool_never_equals_a_number(self, provider_factory: ProviderFactory) -> None:
        """``True`` does not match ``1`` nor ``False`` ``0``, at any depth (MongoDB and JSONB
        agree; Python's ``True == 1`` does not). The two in-tree reference filters disagreed.
        """
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            for doc_id, value in [("true", True), ("one", 1), ("false", False), ("zero", 0)]:
                await provider.insert_one(collection, {"_id": doc_id, "v": value, "l": [value]})
            assert _ids(await provider.find_many(collection, {"v": True})) == ["true"]
            assert _ids(await provider.find_many(collection, {"v": 1})) == ["one"]
            assert _ids(await provider.find_many(collection, {"v": 0})) == ["zero"]
            assert _ids(await provider.find_many(collection, {"l": [False]})) == ["false"]
        finally:
            await cleanup(collection)

    async def test_filter_with_several_fields_requires_all_to_match(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            await provider.insert_one(collection, {"_id": "both", "tag": "x", "color": "red"})
            await provider.insert_one(collection, {"_id": "tag-only", "tag": "x", "color": "blue"})
            await provider.insert_one(collection, {"_id": "color-only", "tag": "y", "color": "red"})
            found = await provider.find_many(collection, {"tag": "x", "color": "red"})
            assert _ids(found) == ["both"]
        finally:
            await cleanup(collection)

    async def test_empty_filter_matches_every_document(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            for i in range(3):
                await provider.insert_one(collection, {"_id": f"d{i}", "i": i})
            assert _ids(await provider.find_many(collection, {})) == ["d0", "d1", "d2"]
        finally:
            await cleanup(collection)

    async def test_find_many_without_match_returns_an_empty_list(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            await provider.insert_one(collection, {"_id": _doc_id(), "tag": "present"})
            assert await provider.find_many(collection, {"tag": "absent"}) == []
        finally:
            await cleanup(collection)

    async def test_find_one_by_a_non_id_field(self, provider_factory: ProviderFactory) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            await provider.insert_one(collection, {"_id": "first", "email": "a@example.org"})
            await provider.insert_one(collection, {"_id": "second", "email": "b@example.org"})
            found = await provider.find_one(collection, {"email": "b@example.org"})
            assert found is not None
            assert found["_id"] == "second"
        finally:
            await cleanup(collection)

    async def test_collections_are_isolated(self, provider_factory: ProviderFactory) -> None:
        provider, cleanup = await provider_factory()
        first, second = _collection(), _collection()
        try:
            await provider.insert_one(first, {"_id": "same-id", "owner": "first"})
            assert await provider.find_one(second, {"_id": "same-id"}) is None
            assert await provider.find_many(second, {"owner": "first"}) == []
        finally:
            await cleanup(first)
            await cleanup(second)

    async def test_collection_names_are_not_matched_by_prefix(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        base = _collection()
        try:
            await provider.insert_one(base + "-archive", {"_id": "x", "tag": "t"})
            assert await provider.find_many(base, {"tag": "t"}) == []
        finally:
            await cleanup(base)
            await cleanup(base + "-archive")

    # -- updates and deletes touch one document ---------------------------------------------

    async def test_set_keeps_the_fields_it_does_not_name(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            await provider.insert_one(
                collection, {"_id": "doc", "a": 1, "b": "kept", "nested": {"x": [1, 2]}}
            )
            await provider.update_one(collection, {"_id": "doc"}, {"$set": {"a": 2}})
            assert await provider.find_one(collection, {"_id": "doc"}) == {
                "_id": "doc",
                "a": 2,
                "b": "kept",
                "nested": {"x": [1, 2]},
            }
        finally:
            await cleanup(collection)

    async def test_set_adds_a_new_field(self, provider_factory: ProviderFactory) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            await provider.insert_one(collection, {"_id": "doc", "a": 1})
            await provider.update_one(collection, {"_id": "doc"}, {"$set": {"added": "new"}})
            assert await provider.find_one(collection, {"_id": "doc"}) == {
                "_id": "doc",
                "a": 1,
                "added": "new",
            }
        finally:
            await cleanup(collection)

    async def test_update_one_changes_only_one_of_several_matches(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            for i in range(3):
                await provider.insert_one(
                    collection, {"_id": f"d{i}", "tag": "same", "state": "old"}
                )
            await provider.update_one(collection, {"tag": "same"}, {"$set": {"state": "new"}})
            states = sorted(d["state"] for d in await provider.find_many(collection, {}))
            assert states == ["new", "old", "old"]
        finally:
            await cleanup(collection)

    async def test_update_one_leaves_other_documents_untouched(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            await provider.insert_one(collection, {"_id": "target", "v": 1})
            await provider.insert_one(collection, {"_id": "bystander", "v": 1})
            await provider.update_one(collection, {"_id": "target"}, {"$set": {"v": 2}})
            assert await provider.find_one(collection, {"_id": "bystander"}) == {
                "_id": "bystander",
                "v": 1,
            }
        finally:
            await cleanup(collection)

    async def test_update_one_without_match_inserts_nothing(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            await provider.insert_one(collection, {"_id": "existing", "v": 1})
            await provider.update_one(collection, {"_id": "absent"}, {"$set": {"v": 2}})
            assert await provider.find_many(collection, {}) == [{"_id": "existing", "v": 1}]
        finally:
            await cleanup(collection)

    async def test_delete_one_removes_only_one_of_several_matches(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            for i in range(3):
                await provider.insert_one(collection, {"_id": f"d{i}", "tag": "same"})
            await provider.delete_one(collection, {"tag": "same"})
            assert len(await provider.find_many(collection, {"tag": "same"})) == 2
        finally:
            await cleanup(collection)

    async def test_delete_one_leaves_other_documents(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            await provider.insert_one(collection, {"_id": "doomed"})
            await provider.insert_one(collection, {"_id": "doomed-not"})
            await provider.delete_one(collection, {"_id": "doomed"})
            assert _ids(await provider.find_many(collection, {})) == ["doomed-not"]
        finally:
            await cleanup(collection)

    async def test_delete_one_without_match_is_harmless(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            await provider.insert_one(collection, {"_id": "kept"})
            await provider.delete_one(collection, {"_id": "absent"})
            assert _ids(await provider.find_many(collection, {})) == ["kept"]
        finally:
            await cleanup(collection)

    # -- copies, not shared references ------------------------------------------------------

    async def test_mutating_a_found_document_does_not_change_the_store(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            await provider.insert_one(collection, {"_id": "doc", "v": 1, "tags": ["a"]})
            found = await provider.find_one(collection, {"_id": "doc"})
            assert found is not None
            found["v"] = 99
            found["extra"] = True
            assert await provider.find_one(collection, {"_id": "doc"}) == {
                "_id": "doc",
                "v": 1,
                "tags": ["a"],
            }
        finally:
            await cleanup(collection)

    async def test_mutating_a_nested_value_of_a_found_document_does_not_change_the_store(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            await provider.insert_one(collection, {"_id": "doc", "tags": ["a"], "m": {"k": 1}})
            found = await provider.find_one(collection, {"_id": "doc"})
            assert found is not None
            found["tags"].append("b")
            found["m"]["k"] = 2
            assert await provider.find_one(collection, {"_id": "doc"}) == {
                "_id": "doc",
                "tags": ["a"],
                "m": {"k": 1},
            }
        finally:
            await cleanup(collection)

    async def test_mutating_documents_from_find_many_does_not_change_the_store(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            await provider.insert_one(collection, {"_id": "doc", "tag": "t", "items": [1]})
            for doc in await provider.find_many(collection, {"tag": "t"}):
                doc["tag"] = "changed"
                doc["items"].append(2)
            assert await provider.find_one(collection, {"_id": "doc"}) == {
                "_id": "doc",
                "tag": "t",
                "items": [1],
            }
        finally:
            await cleanup(collection)

    async def test_mutating_an_inserted_document_afterwards_does_not_change_the_store(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            document: dict[str, Any] = {"_id": "doc", "v": 1, "nested": {"items": [1]}}
            await provider.insert_one(collection, document)
            document["v"] = 2
            document["nested"]["items"].append(2)
            assert await provider.find_one(collection, {"_id": "doc"}) == {
                "_id": "doc",
                "v": 1,
                "nested": {"items": [1]},
            }
        finally:
            await cleanup(collection)

    # -- values -----------------------------------------------------------------------------

    async def test_values_of_every_json_type_round_trip(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        document = {
            "_id": "doc",
            "str": "naïve 東京 🔑",
            "empty": "",
            "int": -7,
            "big": 2**53 + 1,
            "float": 1.5,
            "true": True,
            "false": False,
            "none": None,
            "list": [1, "two", None, [3]],
            "map": {"k": {"deep": []}},
        }
        try:
            await provider.insert_one(collection, copy.deepcopy(document))
            found = await provider.find_one(collection, {"_id": "doc"})
            assert found == document
            assert found is not None
            assert [type(found[k]) for k in ("int", "float", "true")] == [int, float, bool]
        finally:
            await cleanup(collection)

    async def test_large_document_round_trips(self, provider_factory: ProviderFactory) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        body = random_text(LARGE_FIELD_CHARS, seed=4)
        try:
            await provider.insert_one(collection, {"_id": "large", "body": body})
            found = await provider.find_one(collection, {"_id": "large"})
            assert found is not None
            assert found["body"] == body
        finally:
            await cleanup(collection)

    # -- concurrency ------------------------------------------------------------------------

    async def test_concurrent_inserts_are_all_kept(self, provider_factory: ProviderFactory) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            await asyncio.gather(
                *(
                    provider.insert_one(collection, {"_id": f"d{i:03}", "tag": "bulk"})
                    for i in range(CONCURRENT_INSERTS)
                )
            )
            found = await provider.find_many(collection, {"tag": "bulk"})
            assert _ids(found) == [f"d{i:03}" for i in range(CONCURRENT_INSERTS)]
        finally:
            await cleanup(collection)

    async def test_concurrent_sets_of_different_fields_are_all_kept(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collection = _collection()
        try:
            await provider.insert_one(collection, {"_id": "doc"})
            await asyncio.gather(
                *(
                    provider.update_one(collection, {"_id": "doc"}, {"$set": {f"f{i}": i}})
                    for i in range(CONCURRENT_FIELD_UPDATES)
                )
            )
            found = await provider.find_one(collection, {"_id": "doc"})
            assert found == {"_id": "doc", **{f"f{i}": i for i in range(CONCURRENT_FIELD_UPDATES)}}
        finally:
            await cleanup(collection)

    # -- stateful ---------------------------------------------------------------------------

    async def test_behaves_like_a_model_under_random_operations(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider, cleanup = await provider_factory()
        collections: list[str] = []
        try:
            await run_stateful(lambda call: _DocumentMachine(provider, call, collections))
        finally:
            for collection in collections:
                await cleanup(collection)


class _DocumentMachine(RuleBasedStateMachine):
    """Random insert/$set/delete/find sequences against the provider and a dict-of-dicts model.

    Each example uses a fresh collection; ``_id``s are unique within it, so the model knows
    exactly which document each operation addresses.
    """

    def __init__(self, provider: Any, call: Caller, collections: list[str]) -> None:
        super().__init__()
        self.provider, self.call = provider, call
        self.collection = _collection()
        collections.append(self.collection)
        self.model: dict[str, dict[str, Any]] = {}

    @rule(
        doc_id=st.sampled_from(STATEFUL_IDS),
        tag=st.sampled_from(STATEFUL_TAGS),
        value=st.integers(-3, 3),
    )
    def insert(self, doc_id: str, tag: str, value: int) -> None:
        if doc_id in self.model:
            return  # duplicate _id behaviour is not part of the contract
        document = {"_id": doc_id, "tag": tag, "value": value}
        self.call(self.provider.insert_one(self.collection, dict(document)))
        self.model[doc_id] = document

    @rule(
        doc_id=st.sampled_from(STATEFUL_IDS),
        field=st.sampled_from(("tag", "value", "x")),
        value=st.sampled_from(STATEFUL_TAGS),
    )
    def set_field(self, doc_id: str, field: str, value: str) -> None:
        self.call(
            self.provider.update_one(self.collection, {"_id": doc_id}, {"$set": {field: value}})
        )
        if doc_id in self.model:
            self.model[doc_id][field] = value

    @rule(doc_id=st.sampled_from(STATEFUL_IDS))
    def remove(self, doc_id: str) -> None:
        self.call(self.provider.delete_one(self.collection, {"_id": doc_id}))
        self.model.pop(doc_id, None)

    @rule(doc_id=st.sampled_from(STATEFUL_IDS))
    def find_by_id(self, doc_id: str) -> None:
        found = self.call(self.provider.find_one(self.collection, {"_id": doc_id}))
        assert found == self.model.get(doc_id)

    @rule(tag=st.sampled_from(STATEFUL_TAGS))
    def find_by_tag(self, tag: str) -> None:
        found = self.call(self.provider.find_many(self.collection, {"tag": tag}))
        expected = [doc for doc in self.model.values() if doc.get("tag") == tag]
        assert sorted(found, key=lambda d: d["_id"]) == sorted(expected, key=lambda d: d["_id"])

    def teardown(self) -> None:
        """At the end of every example, the whole collection matches the model."""
        found = self.call(self.provider.find_many(self.collection, {}))
        assert sorted(found, key=lambda d: d["_id"]) == sorted(
            self.model.values(), key=lambda d: d["_id"]
        )
