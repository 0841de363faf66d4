"""The compliance matrix: interfaces (rows) x providers (columns), claims versus results.

``build_matrix`` is pure: configuration (what each provider claims and expects to fail) plus the
typed results of a run in, a ``Matrix`` out. ``to_json`` below writes it as JSON;
``matrix_markdown`` renders Markdown (also the GitHub job summary), ``matrix_terminal`` prints it,
``html_matrix`` renders the page.

Columns are the providers that claim (or, probed, could claim) interfaces; providers with only a
contract suite get their own section. ``real_summary`` gives RFC-015's headline, "N/45 interfaces
PASS on at least one real backend across M backends": a real backend is any provider that
declares interfaces and is not marked ``reference = true`` (this repository's in-memory MemStore).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from omnicloud.capabilities.validator import PROBLEMS, Status, classify, is_expected_failure
from omnicloud.config.models import Config
from omnicloud.redaction import redact
from omnicloud.results import Results, TestResult
from tck_py.interfaces.catalog import INTERFACES

CONTRACT_ROW = "contract"
DETAIL_LIMIT = 6000  # characters of traceback and output kept per failing test

#: status -> (short label, long label, symbol)
LABELS: dict[str, tuple[str, str, str]] = {
    "pass": ("pass", "pass", "✅"),
    "fail": ("FAIL", "contract suite fails", "❌"),
    "false_claim": ("FALSE CLAIM", "declared, but its suite fails", "❌"),
    "expected_failure": ("xfail", "expected failure", "⚠️"),
    "unexpected_pass": ("XPASS", "expected failure that passes: remove the entry", "❗"),
    "not_claimed": ("-", "not claimed", "·"),
    "probe_pass": ("could declare", "not declared, but passes: could declare it", "💡"),
    "not_run": ("not run", "declared, but no test ran", "⏸"),
}


@dataclass(frozen=True)
class FailedTest:
    """A test that did not pass, with what a reader needs to see why."""

    name: str
    outcome: str
    message: str
    detail: str


@dataclass(frozen=True)
class Cell:
    provider: str
    row: str  # an interface name, or CONTRACT_ROW
    suite: str  # the interface, or the provider's contract
    status: Status
    claimed: bool
    expected_kind: str | None = None
    expected_reason: str | None = None
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    xfailed: int = 0
    failures: tuple[FailedTest, ...] = ()

    @property
    def anchor(self) -> str:
        return f"cell-{self.provider}-{self.row}".replace(" ", "-")

    @property
    def label(self) -> str:
        short = LABELS[self.status][0]
        if self.row == CONTRACT_ROW:
            return f"{short}: {self.suite}" if self.claimed else "no contract"
        return f"{short} ({self.expected_kind})" if self.expected_kind and self.claimed else short

    @property
    def problem(self) -> bool:
        return self.status in PROBLEMS


@dataclass(frozen=True)
class Matrix:
    providers: tuple[str, ...]
    rows: tuple[str, ...]
    cells: Mapping[tuple[str, str], Cell]
    meta: Mapping[str, Any] = field(default_factory=dict)
    #: Providers marked ``reference = true``: certified, but not counted as real backends.
    references: frozenset[str] = frozenset()
    #: ``slo.json`` / ``faults.json`` of the results folder (``omnicloud.slo.records``).
    verdicts: Mapping[str, Any] = field(default_factory=dict)

    def cell(self, provider: str, row: str) -> Cell:
        return self.cells[(provider, row)]

    @property
    def interfaces(self) -> tuple[str, ...]:
        return tuple(r for r in self.rows if r != CONTRACT_ROW)

    def interface_providers(self) -> tuple[str, ...]:
        """The columns: providers that declare an interface, or (probed) could declare one.
        Real backends first, then reference providers, each group in configuration order."""
        found = [
            p for p in self.providers if any(_in_play(self.cells[(p, r)]) for r in self.interfaces)
        ]
        return tuple(sorted(found, key=lambda p: p in self.references))

    def contract_providers(self) -> tuple[str, ...]:
        """Providers with a contract suite (whether or not they also declare interfaces)."""
        return tuple(p for p in self.providers if self.cells[(p, CONTRACT_ROW)].claimed)

    def contract_only(self) -> tuple[str, ...]:
        """Providers with a contract suite and no interface in play: not matrix columns."""
        columns = set(self.interface_providers())
        return tuple(p for p in self.contract_providers() if p not in columns)

    def real_backends(self) -> tuple[str, ...]:
        """Providers that declare interfaces and are not reference implementations."""
        return tuple(
            p
            for p in self.providers
            if p not in self.references and any(self.cells[(p, r)].claimed for r in self.interfaces)
        )

    def rows_in_play(self) -> tuple[str, ...]:
        """Interfaces some provider declares, or that a probe found passing."""
        columns = self.interface_providers()
        return tuple(
            r for r in self.interfaces if any(_in_play(self.cells[(p, r)]) for p in columns)
        )

    def not_implemented(self) -> list[Cell]:
        """Probed, undeclared interfaces whose suite fails: the provider does not implement them."""
        return [
            c
            for c in self.cells.values()
            if c.row != CONTRACT_ROW and not c.claimed and c.status == "not_claimed" and c.failed
        ]

    def problems(self) -> list[Cell]:
        return [c for c in self.cells.values() if c.problem]

    def suggestions(self) -> list[Cell]:
        return [c for c in self.cells.values() if c.status == "probe_pass"]

    def exit_code(self) -> int:
        return 1 if self.problems() else 0

    def counts(self, provider: str, *, interfaces_only: bool = False) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in self.rows[1:] if interfaces_only else self.rows:
            status = self.cells[(provider, row)].status
            out[status] = out.get(status, 0) + 1
        return out


def _in_play(cell: Cell) -> bool:
    return cell.claimed or cell.status == "probe_pass"


def family_of(row: str) -> str:
    spec = INTERFACES.get(row)
    return spec.family if spec is not None else CONTRACT_ROW


@dataclass(frozen=True)
class RealSummary:
    """RFC-015's headline: interfaces passing on at least one real backend, out of the catalog."""

    passing: tuple[str, ...]
    total: int
    backends: tuple[str, ...]
    references: tuple[str, ...]

    @property
    def line(self) -> str:
        count = len(self.backends)
        return (
            f"{len(self.passing)}/{self.total} interfaces PASS on at least one real backend"
            f" across {count} backend{'' if count == 1 else 's'}"
        )


def real_summary(matrix: Matrix) -> RealSummary:
    """Count an interface when a real backend declares it and its whole suite passes there."""
    backends = matrix.real_backends()
    passing = tuple(
        r for r in matrix.interfaces if any(matrix.cell(p, r).status == "pass" for p in backends)
    )
    references = tuple(p for p in matrix.interface_providers() if p in matrix.references)
    return RealSummary(passing, len(INTERFACES), backends, references)


def build_matrix(
    config: Config,
    results: Results,
    *,
    providers: Sequence[str] = (),
    meta: Mapping[str, Any] | None = None,
) -> Matrix:
    """Classify every (provider, interface) of ``providers`` (default: those in the results)."""
    by_target: dict[tuple[str, str], list[TestResult]] = {}
    for test in results:
        if test.provider in config.providers and test.suite:
            by_target.setdefault((test.provider, test.suite), []).append(test)
    chosen = tuple(providers) or tuple(
        p for p in config.providers if any(k[0] == p for k in by_target)
    )
    secrets = config.secret_values()
    rows = (CONTRACT_ROW, *INTERFACES)
    cells: dict[tuple[str, str], Cell] = {}
    for provider in chosen:
        for row in rows:
            cells[(provider, row)] = _cell(config, provider, row, by_target, secrets)
    references = frozenset(p for p in chosen if config.providers[p].reference)
    return Matrix(chosen, rows, cells, dict(meta or {}), references)


def _cell(
    config: Config,
    provider: str,
    row: str,
    by_target: Mapping[tuple[str, str], list[TestResult]],
    secrets: list[str],
) -> Cell:
    settings = config.providers[provider]
    if row == CONTRACT_ROW and settings.contract is None:  # an interface-only provider
        return Cell(provider=provider, row=row, suite="", status="not_claimed", claimed=False)
    suite = (settings.contract or "") if row == CONTRACT_ROW else row
    tests = by_target.get((provider, suite), [])
    claimed = row == CONTRACT_ROW or row in settings.implements
    expected = settings.expected_failures.get(row)
    status = classify(
        tests, claimed=claimed, expected=expected is not None, contract=row == CONTRACT_ROW
    )
    return Cell(
        provider=provider,
        row=row,
        suite=suite,
        status=status,
        claimed=claimed,
        expected_kind=expected.kind if expected else None,
        expected_reason=expected.reason if expected else None,
        **outcome_counts(tests),
        failures=tuple(_failed(t, secrets) for t in tests if _shown(t, status)),
    )


def outcome_counts(tests: Sequence[TestResult]) -> dict[str, int]:
    """How many of ``tests`` passed, failed (errors included), were skipped and were expected
    failures: the counts a cell and a certificate show (and verification recomputes)."""
    return {
        "passed": sum(t.outcome == "passed" for t in tests),
        "failed": sum(t.outcome in ("failed", "error") for t in tests),
        "skipped": sum(t.outcome == "skipped" and not is_expected_failure(t) for t in tests),
        "xfailed": sum(is_expected_failure(t) for t in tests),
    }


def _shown(test: TestResult, status: str) -> bool:
    if test.outcome in ("failed", "error"):
        return status != "not_claimed"  # an undeclared probe failing is expected, not news
    return is_expected_failure(test)


def _failed(test: TestResult, secrets: list[str]) -> FailedTest:
    detail = "\n".join(part for part in (test.traceback, test.stdout, test.stderr) if part)
    if len(detail) > DETAIL_LIMIT:
        detail = detail[:DETAIL_LIMIT] + f"\n... ({len(detail) - DETAIL_LIMIT} more characters)"
    return FailedTest(
        test.name, test.outcome, redact(test.message, secrets), redact(detail, secrets)
    )


# ------------------------------------------------------------------------------------ renderers
def to_json(matrix: Matrix) -> dict[str, Any]:
    """A JSON-ready document: every cell, per-provider counts, the problems, the headline."""
    real = real_summary(matrix)
    return {
        "meta": dict(matrix.meta),
        "providers": list(matrix.providers),
        "references": sorted(matrix.references),
        "rows": [{"name": r, "family": family_of(r)} for r in matrix.rows],
        "cells": [
            {
                "provider": c.provider,
                "row": c.row,
                "suite": c.suite,
                "status": c.status,
                "claimed": c.claimed,
                "expected_failure": (
                    {"kind": c.expected_kind, "reason": c.expected_reason}
                    if c.expected_kind
                    else None
                ),
                "passed": c.passed,
                "failed": c.failed,
                "skipped": c.skipped,
                "xfailed": c.xfailed,
                "failures": [f.__dict__ for f in c.failures],
            }
            for c in matrix.cells.values()
        ],
        "summary": {p: matrix.counts(p) for p in matrix.providers},
        "real_backends": {
            "line": real.line,
            "passing": list(real.passing),
            "total": real.total,
            "backends": list(real.backends),
            "references": list(real.references),
        },
        "problems": [f"{c.provider}:{c.row}: {LABELS[c.status][1]}" for c in matrix.problems()],
        "declare": [f"{c.provider}:{c.row}" for c in matrix.suggestions()],
        "not_implemented": [f"{c.provider}:{c.row}" for c in matrix.not_implemented()],
        **_verdicts_json(matrix),
    }


def _verdicts_json(matrix: Matrix) -> dict[str, Any]:
    from omnicloud.slo.records import summary

    return summary(matrix.verdicts) if matrix.verdicts else {}


def by_provider(cells: Iterable[Cell]) -> list[tuple[str, list[str]]]:
    """(provider, rows) pairs, in the order the cells come."""
    grouped: dict[str, list[str]] = {}
    for cell in cells:
        grouped.setdefault(cell.provider, []).append(cell.row)
    return list(grouped.items())
