"""What the docs-agreement tests of the backends read: a backend's page, its store class and its
entries in omnicloud.toml (imported as ``backend_docs`` by the ``test_*_docs.py`` files).

Each backend's test file keeps its own assertions (which headings, which order); the reading of
pages and configuration is done once, here, so that every backend reads them the same way.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tck_py.interfaces.catalog import INTERFACES, interface_names

ROOT = Path(__file__).resolve().parents[2]

# The entries a message broker backend declares besides its store: name suffix -> contract.
BROKER_CONTRACTS = {"producer": "producer", "consumer": "consumer", "delayed": "delayed_messaging"}


def backend_page(backend: str) -> Path:
    """``docs/backends/<backend>.md``."""
    return ROOT / "docs" / "backends" / f"{backend}.md"


def section(page: Path, heading: str) -> str:
    """The text from ``heading`` (e.g. ``"## What it implements"``) to the next heading of any
    level, so a ``###`` subsection is a section of its own."""
    text = page.read_text(encoding="utf-8")
    start = text.index(heading)
    end = text.find("\n#", start + len(heading))
    return text[start : end if end != -1 else None]


def interfaces_named(text: str) -> set[str]:
    """Names in backticks at the head of table rows (first column) and of bullets (before the
    colon); ``family_*`` stands for every interface of the family."""
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            head = line.split("|")[1]
        elif line.startswith("- `"):
            head = line.split(":")[0]
        else:
            continue
        names.update(re.findall(r"`([a-z]+_[a-z_]+)`", head))
        for family in re.findall(r"`([a-z]+)_\*`", head):
            names.update(interface_names(family))
    return names


def missing_methods(store: type, implements: Iterable[str]) -> list[str]:
    """``interface.method`` for every method of a claimed interface that ``store`` lacks."""
    return [
        f"{name}.{method}"
        for name in implements
        for method in INTERFACES[name].method_names
        if not callable(getattr(store, method, None))
    ]


def providers() -> dict[str, Any]:
    """The ``[providers]`` table of the repository's omnicloud.toml."""
    config = tomllib.loads((ROOT / "omnicloud.toml").read_text(encoding="utf-8"))
    table: dict[str, Any] = config["providers"]
    return table


def declared_store(backend: str) -> tuple[str, str | None, list[str]]:
    """``(factory, contract, implements)`` of the backend's store entry ``[providers.<backend>]``
    (a store claims interfaces, so its contract should be ``None``)."""
    entry = providers()[backend]
    return entry["factory"], entry.get("contract"), entry["implements"]


def broker_mismatches(backend: str) -> list[str]:
    """The ``<backend>-producer|consumer|delayed`` entries whose contract is not theirs or whose
    factory is not ``omnicloud.providers.<backend>:create_broker``."""
    table = providers()
    factory = f"omnicloud.providers.{backend}:create_broker"
    return [
        f"{backend}-{suffix}"
        for suffix, contract in BROKER_CONTRACTS.items()
        if (table[f"{backend}-{suffix}"]["contract"], table[f"{backend}-{suffix}"]["factory"])
        != (contract, factory)
    ]
