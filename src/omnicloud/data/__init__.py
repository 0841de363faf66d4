"""Deterministic test data: generators declared in ``[data.<name>]``, isolated per test.

The public surface (everything else may move)::

    from omnicloud.data import generate, dataset_fingerprint, derive_seed, load_dataset

Same configuration and seed -> byte-identical data on any machine and any day.
"""

from omnicloud.data.dataset import Dataset, Generator, generate
from omnicloud.data.errors import GenerationError, LoadError
from omnicloud.data.export import to_csv, to_jsonl
from omnicloud.data.fingerprint import dataset_fingerprint, dataset_fingerprints
from omnicloud.data.generators import GENERATOR_VERSION
from omnicloud.data.isolation import derive_seed, namespace_for
from omnicloud.data.loaders import LOADERS, LoadedDataset, load_dataset
from omnicloud.data.parse import FIELD_TYPES

__all__ = [
    "FIELD_TYPES",
    "GENERATOR_VERSION",
    "LOADERS",
    "Dataset",
    "GenerationError",
    "Generator",
    "LoadError",
    "LoadedDataset",
    "dataset_fingerprint",
    "dataset_fingerprints",
    "derive_seed",
    "generate",
    "load_dataset",
    "namespace_for",
    "to_csv",
    "to_jsonl",
]
