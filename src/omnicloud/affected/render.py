"""Text and JSON views of a selection. Pure: data in, strings and dicts out."""

from __future__ import annotations

from typing import Any

from omnicloud.affected.gather import AffectedResult
from omnicloud.affected.select import Item, Selection

MAX_REASONS = 5


def summary_line(result: AffectedResult) -> str:
    selection = result.selection
    merge = f", merge base {selection.merge_base[:12]}" if selection.merge_base else ""
    where = f"base {selection.base} (from {result.base_source}{merge})"
    if selection.full_run:
        return f"affected: everything ({where})"
    if selection.empty:
        count = len(selection.changed)
        looked = f"; looked at {selection.looked_at}" if selection.looked_at else ""
        return (
            f"affected: nothing to certify: no rule selects anything for the {count}"
            f" changed file{'s' if count != 1 else ''} ({where}){looked}"
        )
    parts = [_count(len(selection.providers), "provider")]
    if selection.tests:
        parts.append(_count(len(selection.tests), "test file"))
    return f"affected: {', '.join(parts)} ({where})"


def render_text(result: AffectedResult, *, explain: bool = False) -> str:
    """The justification chain of every item; ``explain`` adds all reasons, the changed files
    and the notes."""
    selection = result.selection
    lines = [summary_line(result)]
    for item in (*selection.providers, *selection.tests):
        lines.append(f"  {item.justification}{_narrowed(item)}")
        if explain:
            extra = item.reasons[1:MAX_REASONS]
            lines.extend(f"      also <- {r.text}" for r in extra)
            if len(item.reasons) > MAX_REASONS:
                lines.append(f"      ... and {len(item.reasons) - MAX_REASONS} more reasons")
    if explain:
        lines.extend(_explain(result))
    return "\n".join(lines)


def _explain(result: AffectedResult) -> list[str]:
    selection = result.selection
    lines: list[str] = []
    if selection.changed:
        lines.append(f"changed files ({len(selection.changed)}):")
        lines.extend(f"  {c.describe()} [{c.origin}]" for c in selection.changed)
    lines.extend(f"note: {note}" for note in selection.notes)
    if result.scan is not None:
        lines.append(
            f"import graph: {result.scan.files} files, {result.scan.parsed} parsed,"
            f" {result.scan.cached} from the cache"
        )
    if result.timings:
        spent = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in result.timings.items())
        lines.append(f"time: {spent}")
    return lines


def _narrowed(item: Item) -> str:
    if not item.tests:
        return ""
    shown = ", ".join(item.tests[:5]) + (" ..." if len(item.tests) > 5 else "")
    return f" [only {shown}]"


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'s' if number != 1 else ''}"


def to_json(result: AffectedResult) -> dict[str, Any]:
    """A stable, machine-readable form of the selection (``--json``)."""
    selection = result.selection
    return {
        "base": selection.base,
        "base_source": result.base_source,
        "merge_base": selection.merge_base,
        "full_run": selection.full_run,
        "looked_at": selection.looked_at,
        "empty": selection.empty,
        "changed": [
            {
                "path": c.path,
                "status": c.status,
                "origin": c.origin,
                "old_path": c.old_path,
                "submodule": c.submodule,
            }
            for c in selection.changed
        ],
        "providers": [_item(i) for i in selection.providers],
        "tests": [_item(i) for i in selection.tests],
        "notes": list(selection.notes),
        "warnings": list(selection.warnings),
        "timings": {k: round(v, 6) for k, v in result.timings.items()},
    }


def _item(item: Item) -> dict[str, Any]:
    return {
        "name": item.name,
        "justification": item.justification,
        "reasons": [{"rule": r.rule, "text": r.text} for r in item.reasons],
        "tests": list(item.tests),
    }


def keyword_expression(selection: Selection) -> str | None:
    """A ``-k`` expression narrowing providers selected only for some test functions, or None
    when every selected provider runs whole. Test classes are named ``<provider>:<suite>``."""
    if not any(i.tests for i in selection.providers):
        return None
    terms = []
    for item in selection.providers:
        if item.tests:
            terms.append(f"({item.name}: and ({' or '.join(item.tests)}))")
        else:
            terms.append(f"{item.name}:")
    return " or ".join(terms)
