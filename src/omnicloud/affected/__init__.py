"""Change-based selection: what a diff can reach, and why (``omnicloud affected``).

``compute_selection(config, base=None)`` reads git and the sources and returns an
``AffectedResult``; ``select(SelectorInput)`` is the pure core; ``certify_selection`` runs it.
Attributes load on first use: the map's recorder (``omnicloud.affected.recorder``, a pytest
plugin loaded into every recording run) imports none of the selector or the configuration.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omnicloud.affected.changes import (
        BaseRef,
        ChangeSet,
        FileChange,
        collect_changes,
        resolve_base,
    )
    from omnicloud.affected.execute import certify_selection
    from omnicloud.affected.gather import AffectedResult, compute_selection
    from omnicloud.affected.select import Item, Reason, Selection, SelectorInput, select

_EXPORTS = {
    "BaseRef": "omnicloud.affected.changes",
    "ChangeSet": "omnicloud.affected.changes",
    "FileChange": "omnicloud.affected.changes",
    "collect_changes": "omnicloud.affected.changes",
    "resolve_base": "omnicloud.affected.changes",
    "certify_selection": "omnicloud.affected.execute",
    "AffectedResult": "omnicloud.affected.gather",
    "compute_selection": "omnicloud.affected.gather",
    "Item": "omnicloud.affected.select",
    "Reason": "omnicloud.affected.select",
    "Selection": "omnicloud.affected.select",
    "SelectorInput": "omnicloud.affected.select",
    "select": "omnicloud.affected.select",
}

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


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'omnicloud.affected' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
