"""``DataFixture``: what the ``omnicloud_data`` pytest fixture returns (see
``omnicloud.pytest_plugins.data``). Kept here so that loading the pytest plugin stays cheap."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from omnicloud.data.dataset import Dataset, Generator
from omnicloud.data.fingerprint import dataset_fingerprint
from omnicloud.data.isolation import namespace_for
from omnicloud.data.loaders import LoadedDataset, load_dataset

if TYPE_CHECKING:
    from omnicloud.config.models import DatasetConfig

#: JUnit property name prefix: ``omnicloud.data.<dataset>`` = "seed=... worker=... sha256:..."
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
