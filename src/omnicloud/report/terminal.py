"""The terminal table: provider x suite with counts, then the violated tests by name.

Probed suites (``--probe``: interfaces a provider does not declare) are no verdict: they are
summed up per provider as "could declare" (the suite passes) and "does not implement" (it
fails), never listed as violations.
"""

from __future__ import annotations

from collections.abc import Collection

from rich.console import Console
from rich.table import Table

from omnicloud.results import Results, Summary


def render_table(
    results: Results,
    console: Console,
    *,
    title: str = "Compliance",
    probes: Collection[tuple[str, str]] = (),
    unfinished: Collection[str] = (),
) -> None:
    """The table of declared suites; ``probes`` are (provider, suite) pairs run by --probe;
    targets (``provider:suite``) in ``unfinished`` are never called compliant."""
    probed = set(probes)
    targets = sorted(results.by_target().items())
    table = Table(title=title, title_justify="left")
    for column in ("provider", "suite"):
        table.add_column(column)
    for column in ("passed", "failed", "errors", "skipped", "time"):
        table.add_column(column, justify="right")
    table.add_column("verdict")
    for (provider, suite), s in targets:
        if (provider, suite) in probed:
            continue
        verdict = "[green]compliant[/]" if s.failed + s.errors == 0 else "[red]VIOLATION[/]"
        if f"{provider}:{suite}" in unfinished and s.failed + s.errors == 0:
            verdict = "[yellow]INCOMPLETE[/]"  # an interrupted suite proved nothing yet
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
    if len(probed) < len(targets):
        console.print(table)
    _probe_lines([(k, s) for k, s in targets if k in probed], console)
    failures = [t for t in results.failures if (t.provider, t.suite) not in probed]
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


def _probe_lines(probed: list[tuple[tuple[str, str], Summary]], console: Console) -> None:
    """Per provider: which probed interfaces it could declare, how many it does not implement."""
    could: dict[str, list[str]] = {}
    lacking: dict[str, int] = {}
    for (provider, suite), s in probed:
        if s.failed + s.errors == 0 and s.passed:
            could.setdefault(provider, []).append(suite)
        else:
            lacking[provider] = lacking.get(provider, 0) + 1
    for provider in dict.fromkeys(p for (p, _), _ in probed):
        found = could.get(provider, [])
        line = f"probe {provider}: could declare {', '.join(found) if found else 'nothing more'}"
        if lacking.get(provider):
            line += f"; does not implement {lacking[provider]} (not declared: no problem)"
        console.print(line, highlight=False, markup=False)
