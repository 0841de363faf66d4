"""Object storage contract.

Fixture: ``provider_factory`` (sync) returning an async callable; ``await provider_factory()``
gives a provider with async ``upload(object_key, data: bytes)``, ``download(object_key) ->
bytes`` (raises ``tck_py.shared.exceptions.ObjectNotFoundError`` when missing, including after a
delete) and ``delete(object_key)`` (no error when missing).

Beyond upstream, each test checks one guarantee: payloads are byte-exact (empty, every byte
value, 2 MiB), a download is ``bytes``, an overwrite with a shorter payload leaves no tail of the
old one, keys are case-sensitive and never matched by prefix, concurrent uploads lose nothing,
and a stateful hypothesis test drives the provider next to a ``dict`` model.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from tck_py.primitives._support import Caller, run_stateful, unique
from tck_py.shared.exceptions import ObjectNotFoundError

ProviderFactory = Callable[..., Awaitable[Any]]

#: Size of the large-payload test.
LARGE_PAYLOAD_BYTES = 2 * 1024 * 1024
#: Number of uploads issued at once by the concurrency test.
CONCURRENT_UPLOADS = 100

STATEFUL_KEYS = ("a", "A", "ab", "a/b", "a/b/c", "é")
_MISSING = object()


def _key(label: str = "object") -> str:
    return unique(label) + ".bin"


async def _download_or_missing(provider: Any, key: str) -> Any:
    try:
        return await provider.download(key)
    except ObjectNotFoundError:
        return _MISSING


@pytest.mark.asyncio
class BaseTestObjectStorageContract:
    """The object storage contract. Subclass it and override ``provider_factory``."""

    @pytest.fixture
    def provider_factory(self) -> ProviderFactory:
        raise NotImplementedError(
            "override the 'provider_factory' fixture in your test class: it must return an async"
            " callable that creates your object storage provider"
        )

    # -- upstream tests ---------------------------------------------------------------------

    async def test_upload_and_download_object(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key, data = _key(), os.urandom(1024)
        await provider.upload(key, data)
        assert await provider.download(key) == data

    async def test_download_non_existent_object_raises_exception(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        with pytest.raises(ObjectNotFoundError):
            await provider.download(_key("missing"))

    async def test_delete_object_removes_it(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.upload(key, os.urandom(128))
        await provider.delete(key)
        with pytest.raises(ObjectNotFoundError):
            await provider.download(key)

    async def test_delete_is_idempotent(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key("never-uploaded")
        await provider.delete(key)
        await provider.delete(key)

    async def test_upload_overwrites_existing_object(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        key, first, second = _key(), os.urandom(256), os.urandom(512)
        await provider.upload(key, first)
        await provider.upload(key, second)
        downloaded = await provider.download(key)
        assert downloaded == second
        assert downloaded != first

    async def test_upload_is_idempotent(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key, data = _key(), os.urandom(512)
        for _ in range(3):
            await provider.upload(key, data)
        assert await provider.download(key) == data

    # -- payloads are byte-exact ------------------------------------------------------------

    async def test_empty_payload_round_trips(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key("empty")
        await provider.upload(key, b"")
        assert await provider.download(key) == b""

    async def test_every_byte_value_round_trips(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key()
        data = bytes(range(256)) + b"\r\n\n\r\x00\xff\xfe"
        await provider.upload(key, data)
        assert await provider.download(key) == data

    async def test_large_payload_round_trips(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key, data = _key("large"), os.urandom(LARGE_PAYLOAD_BYTES)
        await provider.upload(key, data)
        try:
            assert await provider.download(key) == data
        finally:
            await provider.delete(key)

    async def test_download_returns_bytes(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.upload(key, b"payload")
        assert isinstance(await provider.download(key), bytes)

    async def test_overwrite_with_shorter_payload_leaves_no_old_tail(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.upload(key, b"x" * 4096)
        await provider.upload(key, b"short")
        assert await provider.download(key) == b"short"

    async def test_overwrite_with_empty_payload_stores_empty(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.upload(key, os.urandom(64))
        await provider.upload(key, b"")
        assert await provider.download(key) == b""

    async def test_upload_after_delete_stores_the_new_payload(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        key = _key()
        await provider.upload(key, b"old")
        await provider.delete(key)
        await provider.upload(key, b"new")
        assert await provider.download(key) == b"new"

    # -- keys are matched exactly -----------------------------------------------------------

    async def test_object_keys_are_case_sensitive(self, provider_factory: ProviderFactory) -> None:
        provider = await provider_factory()
        base = unique("object")
        await provider.upload(base + "/Report.PDF", b"upper")
        await provider.upload(base + "/report.pdf", b"lower")
        assert await provider.download(base + "/Report.PDF") == b"upper"
        assert await provider.download(base + "/report.pdf") == b"lower"

    async def test_download_does_not_match_a_longer_key(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        base = unique("object")
        await provider.upload(base + "/file.txt.bak", b"longer")
        with pytest.raises(ObjectNotFoundError):
            await provider.download(base + "/file.txt")

    async def test_delete_keeps_objects_whose_keys_extend_the_deleted_key(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        base = unique("object")
        longer = [base + "/file.txt.bak", base + "/file.txt/child", base + "/file.txt2"]
        await provider.upload(base + "/file.txt", b"deleted")
        for key in longer:
            await provider.upload(key, b"kept")
        await provider.delete(base + "/file.txt")
        assert [await provider.download(key) for key in longer] == [b"kept"] * len(longer)

    async def test_unicode_and_nested_keys_round_trip(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        base = unique("object")
        keys = [base + "/données/файл 東京.txt", base + "/a/b/c/d.json", base + "/with space"]
        for i, key in enumerate(keys):
            await provider.upload(key, bytes([i]) * 3)
        assert [await provider.download(key) for key in keys] == [
            bytes([i]) * 3 for i in range(len(keys))
        ]

    # -- concurrency ------------------------------------------------------------------------

    async def test_concurrent_uploads_to_distinct_keys_are_all_kept(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        base = unique("object")
        keys = [f"{base}/{i}" for i in range(CONCURRENT_UPLOADS)]
        await asyncio.gather(*(provider.upload(k, str(i).encode()) for i, k in enumerate(keys)))
        downloads = await asyncio.gather(*(provider.download(key) for key in keys))
        assert downloads == [str(i).encode() for i in range(CONCURRENT_UPLOADS)]

    # -- stateful ---------------------------------------------------------------------------

    async def test_behaves_like_a_dict_under_random_operations(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        await run_stateful(lambda call: _ObjectStorageMachine(provider, call))


class _ObjectStorageMachine(RuleBasedStateMachine):
    """Random upload/delete/download sequences against the provider and a ``dict`` model."""

    def __init__(self, provider: Any, call: Caller) -> None:
        super().__init__()
        self.provider, self.call = provider, call
        self.prefix = unique("stateful") + "/"
        self.model: dict[str, bytes] = {}

    @rule(key=st.sampled_from(STATEFUL_KEYS), data=st.binary(max_size=64))
    def upload(self, key: str, data: bytes) -> None:
        self.call(self.provider.upload(self.prefix + key, data))
        self.model[key] = data

    @rule(key=st.sampled_from(STATEFUL_KEYS))
    def remove(self, key: str) -> None:
        self.call(self.provider.delete(self.prefix + key))
        self.model.pop(key, None)

    @rule(key=st.sampled_from(STATEFUL_KEYS))
    def download(self, key: str) -> None:
        actual = self.call(_download_or_missing(self.provider, self.prefix + key))
        assert actual == self.model.get(key, _MISSING)

    def teardown(self) -> None:
        """At the end of every example, all keys (present or not) match the model."""
        actual = self.call(_download_all(self.provider, self.prefix))
        assert actual == {key: self.model.get(key, _MISSING) for key in STATEFUL_KEYS}


async def _download_all(provider: Any, prefix: str) -> dict[str, Any]:
    return {key: await _download_or_missing(provider, prefix + key) for key in STATEFUL_KEYS}
