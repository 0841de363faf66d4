"""Put a dataset into a provider through the provider's own protocol, and take it out again.

One loader per protocol, chosen by name from ``LOADERS`` (or by the methods the provider has):

- ``kv``: ``set(key, json_text)`` / ``delete(key)``; key ``<namespace>:<dataset>:<record key>``
- ``document``: ``insert_one(collection, document)`` / ``delete_one(collection, {"_id": ...})``;
  ``_id`` is ``<namespace>:<record key>``, the collection defaults to the dataset's name
- ``object``: ``upload(key, json_bytes)`` / ``delete(key)``;
  key ``<namespace>/<dataset>/<record key>.json``

``load_dataset`` is an async context manager: everything it loaded is removed when the block
ends, whether the block passed or raised; a load that fails part-way removes what it had loaded
before raising ``LoadError`` (dataset, field, record index).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from omnicloud.data.dataset import Dataset
from omnicloud.data.errors import LoadError
from omnicloud.data.generators import dumps
from omnicloud.errors import did_you_mean, one_of


async def _call(method: Any, *args: Any) -> Any:
    """Call a provider method that may be sync or async."""
    result = method(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


class Loader(Protocol):
    """How records of a dataset enter and leave one kind of provider."""

    NAME: ClassVar[str]
    #: The method whose presence identifies the protocol.
    MARKER: ClassVar[str]

    def address(self, namespace: str, dataset: str, key: str) -> str: ...

    async def put(
        self, provider: Any, address: str, record: dict[str, Any], collection: str
    ) -> None: ...

    async def remove(self, provider: Any, address: str, collection: str) -> None: ...


class KVLoader:
    NAME: ClassVar[str] = "kv"
    MARKER: ClassVar[str] = "set"

    def address(self, namespace: str, dataset: str, key: str) -> str:
        return f"{namespace}:{dataset}:{key}"

    async def put(
        self, provider: Any, address: str, record: dict[str, Any], collection: str
    ) -> None:
        await _call(provider.set, address, dumps(record))

    async def remove(self, provider: Any, address: str, collection: str) -> None:
        await _call(provider.delete, address)


class DocumentLoader:
    NAME: ClassVar[str] = "document"
    MARKER: ClassVar[str] = "insert_one"

    def address(self, namespace: str, dataset: str, key: str) -> str:
        return f"{namespace}:{key}"

    async def put(
        self, provider: Any, address: str, record: dict[str, Any], collection: str
    ) -> None:
        await _call(provider.insert_one, collection, {**record, "_id": address})

    async def remove(self, provider: Any, address: str, collection: str) -> None:
        await _call(provider.delete_one, collection, {"_id": address})


class ObjectLoader:
    NAME: ClassVar[str] = "object"
    MARKER: ClassVar[str] = "upload"

    def address(self, namespace: str, dataset: str, key: str) -> str:
        return f"{namespace}/{dataset}/{key}.json"

    async def put(
        self, provider: Any, address: str, record: dict[str, Any], collection: str
    ) -> None:
        await _call(provider.upload, address, dumps(record).encode("utf-8"))

    async def remove(self, provider: Any, address: str, collection: str) -> None:
        await _call(provider.delete, address)


#: Loaders by name, in detection order (a document store may also have ``set``-like methods).
LOADERS: dict[str, Loader] = {
    loader.NAME: loader for loader in (DocumentLoader(), ObjectLoader(), KVLoader())
}


def choose_loader(provider: Any, kind: str | None = None, *, dataset: str = "?") -> Loader:
    """The loader named ``kind``, or the first whose marker method ``provider`` has."""
    if kind is not None:
        names = list(LOADERS)
        if kind not in names:
            raise LoadError(
                dataset,
                None,
                None,
                f"unknown loader '{kind}'{did_you_mean(kind, names)} (accepted: {one_of(names)})",
            )
        return LOADERS[kind]
    for loader in LOADERS.values():
        if callable(getattr(provider, loader.MARKER, None)):
            return loader
    markers = ", ".join(f"{loader.MARKER} ({loader.NAME})" for loader in LOADERS.values())
    raise LoadError(
        dataset,
        None,
        None,
        f"{type(provider).__name__} has none of {markers}",
        hint="pass kind='kv', 'document' or 'object'",
    )


@dataclass(frozen=True)
class LoadedDataset:
    """What ``load_dataset`` put into the provider, in record order."""

    dataset: Dataset
    namespace: str
    kind: str
    collection: str
    addresses: tuple[str, ...]
    records: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.addresses)


def record_keys(dataset: Dataset) -> list[str]:
    """Each record's key: the dataset's key field (``id`` by default), else its index."""
    field = dataset.schema.record_key()
    if field is None or field not in dataset.columns:
        return [str(i) for i in range(dataset.count)]
    keys: list[str] = []
    first: dict[str, int] = {}
    for index, value in enumerate(dataset.columns[field]):
        if value is None:
            raise LoadError(
                dataset.name,
                field,
                index,
                "the record key is null",
                hint=f"make the key field non-nullable, or set key = ... in [data.{dataset.name}]",
            )
        text = str(value)
        if text in first:
            raise LoadError(
                dataset.name,
                field,
                index,
                f"the record key {text!r} repeats record {first[text]}",
                hint="set unique = true on the key field",
            )
        first[text] = index
        keys.append(text)
    return keys


@asynccontextmanager
async def load_dataset(
    provider: Any,
    dataset: Dataset,
    *,
    namespace: str,
    kind: str | None = None,
    collection: str | None = None,
) -> AsyncIterator[LoadedDataset]:
    """Load ``dataset`` into ``provider`` for the duration of the ``async with`` block."""
    loader = choose_loader(provider, kind, dataset=dataset.name)
    where = collection or dataset.name
    records = dataset.records()
    addresses = [loader.address(namespace, dataset.name, key) for key in record_keys(dataset)]
    await _put_all(
        loader, provider, dataset.name, addresses=addresses, records=records, collection=where
    )
    loaded = LoadedDataset(dataset, namespace, loader.NAME, where, tuple(addresses), records)
    try:
        yield loaded
    except BaseException as exc:
        problems = await _remove_all(loader, provider, addresses, where)
        if problems:
            _note(exc, f"omnicloud: {problems[0]} while removing dataset '{dataset.name}'")
        raise
    problems = await _remove_all(loader, provider, addresses, where)
    if problems:
        raise LoadError(
            dataset.name,
            None,
            None,
            f"could not remove {len(problems)} of {len(addresses)} records: {problems[0]}",
        )


async def _put_all(
    loader: Loader,
    provider: Any,
    dataset: str,
    *,
    addresses: Sequence[str],
    records: Sequence[dict[str, Any]],
    collection: str,
) -> None:
    for index, (address, record) in enumerate(zip(addresses, records, strict=True)):
        try:
            await loader.put(provider, address, record, collection)
        except Exception as exc:
            problems = await _remove_all(loader, provider, addresses[:index], collection)
            undo = (
                f"removed the {index} records loaded before it"
                if not problems
                else f"{len(problems)} of the {index} records loaded before it could not be removed"
            )
            raise LoadError(
                dataset,
                None,
                index,
                f"{loader.NAME} {loader.MARKER}"
                f" {address!r} failed: {type(exc).__name__}: {exc}; {undo}",
            ) from exc


async def _remove_all(
    loader: Loader, provider: Any, addresses: Sequence[str], collection: str
) -> list[str]:
    """Remove every address (all are tried); returns the failures' descriptions."""
    problems: list[str] = []
    for address in reversed(addresses):
        try:
            await loader.remove(provider, address, collection)
        except Exception as exc:
            problems.append(f"removing {address!r}: {type(exc).__name__}: {exc}")
    return problems


def _note(exc: BaseException, text: str) -> None:
    add_note = getattr(exc, "add_note", None)  # Python >= 3.11
    if add_note is not None:
        add_note(text)
