"""Errors of the test-data layer; each names the dataset, the field and the record."""

from __future__ import annotations

from omnicloud.errors import ExitCode, OmnicloudError


class _DatasetError(OmnicloudError):
    """Names what it is about: ``<what> '<dataset>', field '<field>', record <index>``."""

    what = "dataset"

    def __init__(
        self,
        dataset: str,
        field: str | None,
        index: int | None,
        message: str,
        *,
        hint: str | None = None,
    ) -> None:
        where = f"{self.what} '{dataset}'"
        if field:
            where += f", field '{field}'"
        if index is not None:
            where += f", record {index}"
        super().__init__(f"{where}: {message}", hint=hint)
        self.dataset = dataset
        self.field = field
        self.index = index


class GenerationError(_DatasetError):
    """A dataset could not be generated (for example ``unique`` ran out of values)."""

    exit_code = ExitCode.CONFIG


class LoadError(_DatasetError):
    """Loading a dataset into a provider failed; what was loaded has been removed."""

    exit_code = ExitCode.INFRASTRUCTURE
    what = "loading dataset"
