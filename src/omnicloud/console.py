"""The terminal console: rich when attached to a terminal, wide plain text in logs and CI."""

from __future__ import annotations

import sys

from rich.console import Console


def make_console(*, stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    # Logs and CI: no wrapping of table cells into unreadable columns.
    return Console(stderr=stderr, width=160, no_color=True, soft_wrap=True)
