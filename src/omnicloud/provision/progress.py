"""Progress shown while services start (rich spinner, then one line per service)."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import IO

from rich.console import Console


class Progress:
    """Shows which service is starting and how long it took to become ready."""

    def __init__(self, enabled: bool = True, file: IO[str] | None = None) -> None:
        self.enabled = enabled
        self._file = file
        self.timings: dict[str, float] = {}

    def _console(self) -> Console:
        return Console(file=self._file or sys.__stderr__, highlight=False)

    @contextlib.contextmanager
    def starting(self, service: str, provisioner: str) -> Iterator[None]:
        start = time.perf_counter()
        if not self.enabled:
            yield
            self.timings[service] = time.perf_counter() - start
            return
        console = self._console()
        with console.status(f"starting [bold]{service}[/] ({provisioner})..."):
            try:
                yield
            except BaseException:
                console.print(f"[red]x[/] {service} ({provisioner}) failed to start")
                raise
        self.timings[service] = elapsed = time.perf_counter() - start
        console.print(f"[green]ok[/] {service} ({provisioner}) ready in {elapsed:.2f}s")

    def reused(self, service: str, provisioner: str) -> None:
        self.timings[service] = 0.0
        if self.enabled:
            self._console().print(f"[green]ok[/] {service} ({provisioner}) reused, already running")
