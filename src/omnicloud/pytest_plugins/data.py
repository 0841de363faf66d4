"""The ``omnicloud_data`` fixture: datasets from ``[data.<name>]``, isolated per test.

    def test_signup(omnicloud_data):
        users = omnicloud_data("users")                 # list of dicts, this test's own data
        assert len({u["email"] for u in users}) == len(users)

    async def test_lookup(omnicloud_data, kv):
        async with omnicloud_data.load("users", kv) as loaded:   # removed afterwards, pass or fail
            assert await kv.get(loaded.addresses[0]) is not None

Each test gets seeds derived from the dataset's seed, its node id and its xdist worker
(``derive_seed``), so tests and workers never share generated values, and a namespace
(``omnicloud_data.namespace``) that prefixes every key it loads. The seed and fingerprint of each
dataset a test uses are recorded as JUnit properties (``omnicloud.data.<name>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

import pytest

from omnicloud import plugin
from omnicloud.data.dataset import Dataset, Generator
from omnicloud.data.fingerprint import dataset_fingerprint
from omnicloud.data.isolation import current_worker, namespace_for
from omnicloud.data.loaders import LoadedDataset, load_dataset
from omnicloud.errors import OmnicloudError

if TYPE_CHECKING:
    from omnicloud.config.models import DatasetConfig

PROPERTY_PREFIX = "omnicloud.data."


class DataFixture:
    """Generates and loads datasets for one test (see the module docstring)."""

    def __init__(
        self,
        datasets: Mapping[str, DatasetConfig],
        *,
        test_id: str,
        worker_id: str,
        properties: list[tuple[str, object]],
    ) -> None:
        self.test_id = test_id
        self.worker_id = worker_id
        self.namespace = namespace_for(test_id, worker_id)
        self._datasets = datasets
        self._generator = Generator(datasets, test_id=test_id, worker_id=worker_id)
        self._properties = properties
        self._recorded: set[str] = set()

    def __call__(self, name: str, *, count: int | None = None) -> list[dict[str, Any]]:
        """The records of dataset ``name`` for this test (``count`` gives a prefix)."""
        return self.dataset(name, count=count).records()

    def dataset(self, name: str, *, count: int | None = None) -> Dataset:
        """The columnar ``Dataset`` (``.columns``, ``.records()``, ``.seed``)."""
        dataset = self._generator.generate(name, count=count)
        self._record(name, dataset.seed)
        return dataset

    def seed(self, name: str) -> int:
        """This test's seed for dataset ``name``."""
        return self._generator.seed(name)

    def load(
        self,
        name: str,
        provider: Any,
        *,
        kind: str | None = None,
        collection: str | None = None,
        count: int | None = None,
    ) -> AbstractAsyncContextManager[LoadedDataset]:
        """``async with`` block during which dataset ``name`` is in ``provider``."""
        return load_dataset(
            provider,
            self.dataset(name, count=count),
            namespace=self.namespace,
            kind=kind,
            collection=collection,
        )

    def _record(self, name: str, seed: int) -> None:
        if name not in self._recorded:
            self._recorded.add(name)
            fingerprint = dataset_fingerprint(name, self._datasets)
            self._properties.append(
                (PROPERTY_PREFIX + name, f"seed={seed} worker={self.worker_id} {fingerprint}")
            )


@pytest.fixture
def omnicloud_data(request: pytest.FixtureRequest) -> DataFixture:
    """Datasets from ``[data.*]`` of the omnicloud configuration, isolated to this test."""
    try:
        config = plugin.omnicloud_config(request.config)
    except OmnicloudError as exc:
        pytest.fail(f"omnicloud_data: {exc.render()}", pytrace=False)
    return DataFixture(
        config.data,
        test_id=request.node.nodeid,
        worker_id=current_worker(),
        properties=request.node.user_properties,
    )
