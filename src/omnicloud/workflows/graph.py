"""Pure ordering of workflow steps: waves of steps whose dependencies are all earlier."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def execution_waves(depends_on: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Steps grouped so every step comes after all of its dependencies.

    Order inside a wave follows the declaration order of ``depends_on``, so runs are
    reproducible. Raises ``ValueError`` naming a cycle (the config check reports it first).
    """
    remaining = dict(depends_on)
    done: set[str] = set()
    waves: list[list[str]] = []
    while remaining:
        wave = [s for s, deps in remaining.items() if all(d in done for d in deps)]
        if not wave:
            raise ValueError(f"dependency cycle among steps: {', '.join(remaining)}")
        waves.append(wave)
        done.update(wave)
        for step in wave:
            del remaining[step]
    return waves


def dependents(depends_on: Mapping[str, Sequence[str]], step: str) -> list[str]:
    """Every step that depends on ``step``, directly or transitively, in declaration order."""
    found: set[str] = set()
    frontier = {step}
    while frontier:
        frontier = {
            s
            for s, deps in depends_on.items()
            if s not in found and any(d in frontier for d in deps)
        }
        found |= frontier
    return [s for s in depends_on if s in found]
