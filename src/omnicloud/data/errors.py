"""Errors of the test-data layer; each names the dataset, the field and the record."""

from __future__ import annotations

from omnicloud.errors import ExitCode, OmnicloudError


class GenerationError(OmnicloudError):
    """A dataset could not be generated (for example ``unique`` ran out of values)."""

    exit_code = ExitCode.CONFIG

    def __init__(
        self,
        dataset: str,
        field: str | None,
        index: int | None,
        message: str,
        *,
        hint: str | None = None,
    ) -> None:
        where = f"dataset '{dataset}'"
        if field:
            where += f", field '{field}'"
        if index is not None:
            where += f", record {index}"
        super().__init__(f"{where}: {message}", hint=hint)
        self.dataset = dataset
        self.field = field
        self.index = index


class LoadError(OmnicloudError):
    """Loading a dataset into a provider failed; what was loaded has been removed."""

    exit_code = ExitCode.INFRASTRUCTURE

    def __init__(
        self,
        dataset: str,
        field: str | None,
        index: int | None,
        message: str,
        *,
        hint: str | None = None,
    ) -> None:
        where = f"loading dataset '{dataset}'"
        if field:
            where += f", field '{field}'"
        if index is not None:
            where += f", record {index}"
        super().__init__(f"{where}: {message}", hint=hint)
        self.dataset = dataset
        self.field = field
        self.index = index
