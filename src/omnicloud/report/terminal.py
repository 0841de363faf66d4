"""The terminal table: provider x suite with counts, then the violated tests by name."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from omnicloud.results import Results


def render_table(results: Results, console: Console, *, title: str = "Compliance") -> None:
    table = Table(title=title, title_justify="left")
    for column in ("provider", "suite"):
        table.add_column(column)
    for column in ("passed", "failed", "errors", "skipped", "time"):
        table.add_column(column, justify="right")
    table.add_column("verdict")
    for (provider, suite), s in sorted(results.by_target().items()):
        verdict = "[green]compliant[/]" if s.failed + s.errors == 0 else "[red]VIOLATION[/]"
        table.add_row(
            provider,
            suite,
            str(s.passed),
            _red(s.failed),
            _red(s.errors),
            str(s.skipped),
            f"{s.time:.2f}s",
            verdict,
        )
    console.print(table)
    failures = results.failures
    if failures:
        console.print(f"[bold red]{len(failures)} violated test(s):[/]")
        for test in failures:
            first = (test.message or "").splitlines()[0][:160] if test.message else ""
            console.print(
                f"  [red]{test.outcome.upper():6}[/] {test.provider or '-'}:"
                f"{test.suite or test.classname} :: {test.name}  {first}",
                highlight=False,
                markup=True,
            )


def _red(count: int) -> str:
    return f"[red]{count}[/]" if count else "0"
