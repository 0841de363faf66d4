"""The hypothesis state machines find bugs on their own, and report the failing steps.

(Shrinking is off unless ``TCK_STATEFUL_SHRINK=1``: minimizing a failing sequence costs tens of
seconds of CPU, and the unshrunk sequence is deterministic and replayable.)

Each buggy provider here passes a plain "set then get" smoke test; only a sequence of operations
exposes it. The stateful test alone (``-k random_operations``) must fail against it.
"""

from __future__ import annotations

import textwrap

import pytest

PROVIDERS = """
import asyncio
import pytest
from tck_py.primitives.cache import BaseTestCacheContract
from tck_py.primitives.document_database import BaseTestDocumentDatabaseContract
from tck_py.primitives.kv_store import BaseTestKVStoreContract
from tck_py.primitives.object_storage import BaseTestObjectStorageContract
from tck_py.shared.exceptions import ObjectNotFoundError


class CaseFoldingKV:
    def __init__(self):
        self.data = {}
    async def set(self, key, value, ttl=None):
        self.data[key.lower()] = value
    async def get(self, key):
        return self.data.get(key.lower())
    async def delete(self, key):
        self.data.pop(key.lower(), None)


class StaleOverwriteObjects:
    def __init__(self):
        self.data = {}
    async def upload(self, key, data):
        old = self.data.get(key, b"")
        self.data[key] = data + old[len(data):]
    async def download(self, key):
        if key not in self.data:
            raise ObjectNotFoundError(key)
        return self.data[key]
    async def delete(self, key):
        self.data.pop(key, None)


class ReplacingDocuments:
    def __init__(self):
        self.data = {}
    def _match(self, c, f):
        return [d for d in self.data.get(c, {}).values()
                if all(k in d and d[k] == v for k, v in f.items())]
    async def insert_one(self, c, doc):
        self.data.setdefault(c, {})[doc["_id"]] = dict(doc)
    async def find_one(self, c, f):
        found = self._match(c, f)
        return dict(found[0]) if found else None
    async def find_many(self, c, f):
        return [dict(d) for d in self._match(c, f)]
    async def update_one(self, c, f, spec):
        for d in self._match(c, f)[:1]:
            self.data[c][d["_id"]] = {"_id": d["_id"], **spec["$set"]}
    async def delete_one(self, c, f):
        for d in self._match(c, f)[:1]:
            del self.data[c][d["_id"]]
    async def drop(self, c):
        self.data.pop(c, None)


class TestKV(BaseTestKVStoreContract):
    @pytest.fixture
    def provider_factory(self):
        async def f(**kw):
            return CaseFoldingKV()
        return f


class TestCache(BaseTestCacheContract):
    @pytest.fixture
    def provider_factory(self):
        async def f(**kw):
            return CaseFoldingKV()
        return f


class TestObjects(BaseTestObjectStorageContract):
    @pytest.fixture
    def provider_factory(self):
        async def f(**kw):
            return StaleOverwriteObjects()
        return f


class TestDocuments(BaseTestDocumentDatabaseContract):
    @pytest.fixture
    def provider_factory(self):
        async def f(**kw):
            db = ReplacingDocuments()
            return db, db.drop
        return f
"""


def test_state_machines_catch_bugs_and_print_the_steps(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "filterwarnings = error\n"
    )
    pytester.makepyfile(test_buggy=textwrap.dedent(PROVIDERS))
    outcome = pytester.runpytest_subprocess(
        "-p",
        "no:omnicloud",
        "-p",
        "no:benchmark",
        "-p",
        "no:cacheprovider",
        "-k",
        "random_operations",
        "-q",
    )
    outcome.assert_outcomes(failed=4)
    output = outcome.stdout.str()
    for machine in ("_KVMachine", "_CacheMachine", "_ObjectStorageMachine", "_DocumentMachine"):
        assert f"state = {machine}(" in output, machine


@pytest.mark.parametrize(("value", "shrinks"), [("1", True), ("0", False), (None, False)])
def test_shrinking_is_opt_in(
    monkeypatch: pytest.MonkeyPatch, value: str | None, shrinks: bool
) -> None:
    from hypothesis import Phase

    from tck_py.primitives._support import SHRINK_ENV, stateful_settings

    if value is None:
        monkeypatch.delenv(SHRINK_ENV, raising=False)
    else:
        monkeypatch.setenv(SHRINK_ENV, value)
    assert (Phase.shrink in stateful_settings().phases) is shrinks
