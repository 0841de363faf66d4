"""Generate datasets from the configuration: columns first, records on demand."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omnicloud.data.errors import GenerationError
from omnicloud.data.generators import (
    GENERATOR_VERSION,
    FieldContext,
    RecordError,
    build_records,
    field_column,
)
from omnicloud.data.isolation import derive_seed
from omnicloud.data.parse import Schema, SpecError, parse_schema
from omnicloud.data.stream import Stream
from omnicloud.errors import did_you_mean, one_of

if TYPE_CHECKING:
    from omnicloud.config.models import DatasetConfig


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large columns.

    Generation allocates millions of strings, tuples and dicts and no reference cycles; every
    automatic collection would rescan all of them (a fifth of the run time at 1,000,000
    records). The previous state is restored, so a caller that disabled it keeps it disabled.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class Dataset:
    """A generated dataset: one list per field, all of the same length."""

    name: str
    seed: int
    schema: Schema
    columns: dict[str, list[Any]]
    count: int

    def __len__(self) -> int:
        return self.count

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts, keys in field order."""
        names = tuple(self.columns)
        with gc_paused():
            return build_records(names, [self.columns[n] for n in names], self.count)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records())

    def column(self, name: str) -> list[Any]:
        return self.columns[name]


class Generator:
    """Generates datasets of one configuration, resolving references once per run.

    ``test_id`` and ``worker_id`` isolate a test: every dataset (the referenced ones too) uses
    ``derive_seed(seed, test_id, worker_id)`` so references stay consistent inside the test.
    """

    def __init__(
        self,
        datasets: Mapping[str, DatasetConfig],
        *,
        test_id: str | None = None,
        worker_id: str = "",
    ) -> None:
        self.datasets = datasets
        self.test_id = test_id
        self.worker_id = worker_id
        self._schemas: dict[str, Schema] = {}
        self._columns: dict[tuple[str, str], list[Any]] = {}
        self._resolving: list[tuple[str, str]] = []

    def seed(self, name: str) -> int:
        base = self.schema(name).seed
        return base if self.test_id is None else derive_seed(base, self.test_id, self.worker_id)

    def schema(self, name: str) -> Schema:
        if name not in self._schemas:
            if name not in self.datasets:
                known = sorted(self.datasets)
                raise GenerationError(
                    name,
                    None,
                    None,
                    f"no such dataset{did_you_mean(name, known)} (configured: {one_of(known)})",
                )
            try:
                self._schemas[name] = parse_schema(name, self.datasets[name])
            except SpecError as exc:
                key = ".".join(("data", name, *exc.key))
                raise GenerationError(name, None, None, f"{key}: {exc.message}") from None
        return self._schemas[name]

    def generate(self, name: str, *, count: int | None = None) -> Dataset:
        """Every field of dataset ``name`` (``count`` overrides the configured count; the
        records are then a prefix of the full dataset)."""
        schema = self.schema(name)
        n = schema.count if count is None else count
        if n < 0:
            raise GenerationError(name, None, None, f"count must not be negative, got {n}")
        with gc_paused():
            columns = {f.name: self._column(schema, f.name, n) for f in schema.fields}
        return Dataset(name, self.seed(name), schema, columns, n)

    def _context(self, schema: Schema, field: str) -> FieldContext:
        root = Stream.root(GENERATOR_VERSION, schema.name, self.seed(schema.name))
        return FieldContext(
            root.child(f"field:{field}"), root.child("shared"), schema.epoch, self._resolve, field
        )

    def _column(self, schema: Schema, field: str, n: int) -> list[Any]:
        spec = schema.field(field)
        assert spec is not None, "callers pass fields of the schema"
        try:
            return field_column(spec, self._context(schema, field), n)
        except RecordError as exc:
            raise GenerationError(schema.name, field, exc.index, exc.message) from None
        except GenerationError:
            raise
        except Exception as exc:  # a generator bug must still say where it happened
            raise GenerationError(schema.name, field, None, f"{type(exc).__name__}: {exc}") from exc

    def _resolve(self, dataset: str, field: str) -> list[Any]:
        """The full column ``dataset.field`` (for ``ref`` fields), generated once."""
        if (dataset, field) not in self._columns:
            if (dataset, field) in self._resolving:
                cycle = " -> ".join(f"{d}.{f}" for d, f in (*self._resolving, (dataset, field)))
                raise GenerationError(dataset, field, None, f"reference cycle: {cycle}")
            schema = self.schema(dataset)
            if schema.field(field) is None:
                raise GenerationError(dataset, field, None, "no such field to reference")
            self._resolving.append((dataset, field))
            try:
                self._columns[dataset, field] = self._column(schema, field, schema.count)
            finally:
                self._resolving.pop()
        return self._columns[dataset, field]


def generate(
    name: str,
    datasets: Mapping[str, DatasetConfig],
    *,
    count: int | None = None,
    test_id: str | None = None,
    worker_id: str = "",
) -> Dataset:
    """Generate dataset ``name`` of ``datasets`` (``config.data``).

    Same configuration, seed, ``test_id`` and ``worker_id`` -> the same values, on any machine
    and any day. Raises ``GenerationError`` naming the dataset, field and record index.
    """
    return Generator(datasets, test_id=test_id, worker_id=worker_id).generate(name, count=count)
