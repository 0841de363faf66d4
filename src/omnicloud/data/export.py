"""Write datasets as JSON Lines and CSV, atomically (a failed export leaves no partial file)."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omnicloud.data.dataset import Dataset
from omnicloud.data.generators import dumps
from omnicloud.errors import InfrastructureError


def to_jsonl(dataset: Dataset) -> str:
    """One canonical JSON object per line, ``\\n`` line ends, keys in field order."""
    return "".join(dumps(record) + "\n" for record in dataset.records())


def to_csv(dataset: Dataset) -> str:
    """A header row, then one row per record; nested values as JSON, null as an empty cell."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    names = list(dataset.columns)
    writer.writerow(names)
    columns = [[_cell(v) for v in dataset.columns[name]] for name in names]
    writer.writerows(zip(*columns, strict=True))
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return dumps(value)
    return str(value)


FORMATS: dict[str, tuple[str, Callable[[Dataset], str]]] = {
    "jsonl": (".jsonl", to_jsonl),
    "csv": (".csv", to_csv),
}


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file in the same folder."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise InfrastructureError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export(dataset: Dataset, folder: Path, formats: list[str]) -> list[Path]:
    """Write ``dataset`` in each of ``formats`` to ``folder/<name><suffix>``."""
    written = []
    for name in formats:
        suffix, render = FORMATS[name]
        path = folder / f"{dataset.name}{suffix}"
        write_atomic(path, render(dataset))
        written.append(path)
    return written
