"""The etcd backend's page, its IMPLEMENTS and omnicloud.toml agree on every interface."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from omnicloud.providers.etcd.store import IMPLEMENTS, EtcdStore
from tck_py.interfaces.catalog import INTERFACES, interface_names

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "backends" / "etcd.md"


def _section(title: str) -> str:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _rows(section: str) -> set[str]:
    """Interface names in the first column of a section's table; ``family_*`` is the family."""
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            cell = line.split("|")[1]
            names.update(re.findall(r"`([a-z]+_[a-z_]+)`", cell))
            for family in re.findall(r"`([a-z]+)_\*`", cell):
                names.update(interface_names(family))
    return names


def test_the_page_lists_what_the_store_implements_and_only_that() -> None:
    assert _rows(_section("What it implements")) == set(IMPLEMENTS) | {"distributed_lock"}


def test_every_other_interface_has_a_reason() -> None:
    assert _rows(_section("What it does not implement")) == set(INTERFACES) - set(IMPLEMENTS)


def test_the_store_has_every_method_of_what_it_claims() -> None:
    missing = [
        f"{name}.{method}"
        for name in IMPLEMENTS
        for method in INTERFACES[name].method_names
        if not callable(getattr(EtcdStore, method, None))
    ]
    assert missing == []


def test_omnicloud_toml_declares_the_store_and_the_lock() -> None:
    providers = tomllib.loads((ROOT / "omnicloud.toml").read_text(encoding="utf-8"))["providers"]
    assert providers["etcd"]["implements"] == list(IMPLEMENTS)
    assert providers["etcd"]["factory"] == "omnicloud.providers.etcd:create_store"
    assert "contract" not in providers["etcd"]
    assert providers["etcd-lock"]["contract"] == "distributed_lock"
    assert providers["etcd-lock"]["factory"] == "omnicloud.providers.etcd:create_lock_manager"
