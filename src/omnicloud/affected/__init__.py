"""Change-based selection: what a diff can reach, and why (``omnicloud affected``).

``compute_selection(config, base=None)`` reads git and the sources and returns an
``AffectedResult``; ``select(SelectorInput)`` is the pure core; ``certify_selection`` runs it.
"""

from omnicloud.affected.changes import BaseRef, ChangeSet, FileChange, collect_changes, resolve_base
from omnicloud.affected.execute import certify_selection
from omnicloud.affected.gather import AffectedResult, compute_selection
from omnicloud.affected.select import Item, Reason, Selection, SelectorInput, select

__all__ = [
    "AffectedResult",
    "BaseRef",
    "ChangeSet",
    "FileChange",
    "Item",
    "Reason",
    "Selection",
    "SelectorInput",
    "certify_selection",
    "collect_changes",
    "compute_selection",
    "resolve_base",
    "select",
]
