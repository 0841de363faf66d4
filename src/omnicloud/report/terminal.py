"""The terminal table: provider x suite with counts, then the violated tests by name.

Probed suites (``--probe``: interfaces a provider does not declare) are no verdict: they are
summed up per provider as "could declare" (the suite passes) and "does not implement" (it
fails), never listed as violations.
"""

from __future__ import annotations

from collections.abc import Collection

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from omnicloud.results import Results, Summary

#: A provider with more passing suites than this, outside the run's focus, is one line.
FOLD_AT = 8


def render_table(
    results: Results,
    console: Console,
    *,
    title: str = "Compliance",
    probes: Collection[tuple[str, str]] = (),
    unfinished: Collection[str] = (),
    focus: Collection[str] = (),
    untested: Collection[tuple[str, str]] = (),
) -> None:
    """The table of declared suites; ``probes`` are (provider, suite) pairs run by --probe;
    targets (``provider:suite``) in ``unfinished`` are never called compliant.

    ``focus`` names the contracts a session selected (``certify-kv``): their suites and the
    interfaces of the families tied to them get a row each; a provider's other suites that all
    passed are one line. Without a focus, a provider with many passing suites is one line. A
    suite that failed, has declared gaps or did not finish always gets its own row. Targets in
    ``untested`` (every failure triaged as infrastructure or setup, see ``report.verdicts``)
    read ``ERROR``: not tested, which is no contract verdict.
    """
    probed = set(probes)
    targets = [(k, s) for k, s in sorted(results.by_target().items()) if k not in probed]
    table = Table(title=title, title_justify="left")
    for column in ("provider", "suite"):
        table.add_column(column)
    for column in ("passed", "failed", "errors", "skipped", "time"):
        table.add_column(column, justify="right")
    table.add_column("verdict")
    targets = [(k, _untested(s) if k in untested else s) for k, s in targets]
    shown, folded = _fold(targets, unfinished, _focused(focus))
    for (provider, suite), s in shown:
        table.add_row(provider, suite, *_cells(s, _verdict(s, f"{provider}:{suite}", unfinished)))
    for provider, (count, s) in folded.items():
        label = f"{count} {'other ' if focus else ''}suites, each compliant"
        table.add_row(provider, f"[dim]{label}[/]", *_cells(s, "[green]compliant[/]"))
    if targets:
        console.print(table)
    if folded:
        console.print("[dim]folded rows: every suite is listed in report.md[/]")
    _probe_lines([(k, s) for k, s in sorted(results.by_target().items()) if k in probed], console)
    _verdict_lines(targets, console)
    failures = [t for t in results.failures if (t.provider, t.suite) not in probed]
    if failures:
        console.print(f"[bold red]{len(failures)} failed test(s):[/]")
        for test in failures:
            first = (test.message or "").splitlines()[0][:160] if test.message else ""
            console.print(
                f"  [red]{test.outcome.upper():6}[/] {escape(test.pytest_id)}  {escape(first)}",
                highlight=False,
                markup=True,
                soft_wrap=True,  # a node id pastes into pytest only when no newline cuts it
            )


Target = tuple[tuple[str, str], Summary]


def _verdict_lines(targets: list[Target], console: Console) -> None:
    """Say apart what the provider broke and what could not be tested at all."""
    verdicts = [s.verdict for _k, s in targets]
    broken, unrun = verdicts.count("VIOLATION"), verdicts.count("ERROR")
    if broken:
        console.print(
            f"[red]{broken} suite(s) violate their contract[/]: a test failed against the provider",
            highlight=False,
        )
    if unrun:
        console.print(
            f"[red]{unrun} suite(s) could not be tested[/]: their setup failed or their tests"
            " could not reach a service (check the configuration, the services and the"
            " provider's construction); this is no contract verdict",
            highlight=False,
        )


def _focused(contracts: Collection[str]) -> set[str]:
    """The suites a contract session is about: the contracts and their families' interfaces."""
    if not contracts:
        return set()
    from tck_py.interfaces.catalog import INTERFACES

    families = {spec.family for spec in INTERFACES.values() if set(spec.contracts) & set(contracts)}
    related = {name for name, spec in INTERFACES.items() if spec.family in families}
    return set(contracts) | related


def _fold(
    targets: list[Target], unfinished: Collection[str], focus: set[str]
) -> tuple[list[Target], dict[str, tuple[int, Summary]]]:
    """Rows to show one by one, and per provider the passing suites summed into one line."""
    shown: list[Target] = []
    quiet: dict[str, list[Summary]] = {}
    for (provider, suite), s in targets:
        clean = s.verdict == "compliant" and f"{provider}:{suite}" not in unfinished
        if clean and focus and suite not in focus:
            quiet.setdefault(provider, []).append(s)
        else:
            shown.append(((provider, suite), s))
    if not focus:
        rows: dict[str, list[Target]] = {}
        for target in shown:
            rows.setdefault(target[0][0], []).append(target)
        shown = []
        for provider, group in rows.items():
            passing = [
                s for (_p, suite), s in group
                if s.verdict == "compliant" and f"{provider}:{suite}" not in unfinished
            ]  # fmt: skip
            if len(passing) > FOLD_AT and len(passing) == len(group):
                quiet[provider] = passing
            else:
                shown.extend(group)
    folded = {p: (len(ss), _total(ss)) for p, ss in quiet.items()}
    return shown, folded


def _untested(s: Summary) -> Summary:
    """The same counts, with the failures shown as errors: they were not the provider's."""
    return Summary(s.passed, 0, s.failed + s.errors, s.skipped, s.time, s.expected)


def _total(summaries: list[Summary]) -> Summary:
    total = Summary()
    for s in summaries:
        total = Summary(
            total.passed + s.passed, total.failed + s.failed, total.errors + s.errors,
            total.skipped + s.skipped, total.time + s.time, total.expected + s.expected,
        )  # fmt: skip
    return total


def _verdict(s: Summary, target: str, unfinished: Collection[str]) -> str:
    verdict = s.verdict
    if target in unfinished and verdict == "compliant":
        return "[yellow]INCOMPLETE[/]"  # an interrupted suite proved nothing yet
    colour = {"compliant": "green", "VIOLATION": "red", "ERROR": "red"}.get(verdict, "yellow")
    return f"[{colour}]{verdict}[/]"


def _cells(s: Summary, verdict: str) -> tuple[str, ...]:
    skipped = f"{s.skipped} ({s.expected} xfail)" if s.expected else str(s.skipped)
    return (str(s.passed), _red(s.failed), _red(s.errors), skipped, f"{s.time:.2f}s", verdict)


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
