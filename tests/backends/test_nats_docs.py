"""The NATS backend's page, its IMPLEMENTS and omnicloud.toml agree on every interface."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from omnicloud.providers.nats import IMPLEMENTS, NatsStore
from tck_py.interfaces.catalog import INTERFACES, interface_names

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "backends" / "nats.md"


def section(page: Path, title: str) -> str:
    text = page.read_text(encoding="utf-8")
    start = text.index(title)
    end = text.find("\n#", start + len(title))
    return text[start : end if end != -1 else None]


def named(text: str) -> set[str]:
    """Interfaces named at the start of table rows and bullets (``family_*``: the family)."""
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            head = line.split("|")[1]
        elif line.startswith("- `"):
            head = line.split(":")[0]
        else:
            continue
        names.update(n for n in re.findall(r"`([a-z]+_[a-z_]+)`", head) if n in INTERFACES)
        for family in re.findall(r"`([a-z]+)_\*`", head):
            names.update(interface_names(family))
    return names


def test_the_page_maps_every_claimed_interface_and_only_those() -> None:
    assert named(section(PAGE, "## What each interface maps to")) == set(IMPLEMENTS)


def test_every_other_interface_has_a_reason() -> None:
    assert named(section(PAGE, "### Left out")) == set(INTERFACES) - set(IMPLEMENTS)


def test_the_store_has_every_method_of_what_it_claims() -> None:
    missing = [
        f"{name}.{method}"
        for name in IMPLEMENTS
        for method in INTERFACES[name].method_names
        if not callable(getattr(NatsStore, method, None))
    ]
    assert missing == []


def test_omnicloud_toml_declares_the_store_and_the_broker() -> None:
    providers = tomllib.loads((ROOT / "omnicloud.toml").read_text(encoding="utf-8"))["providers"]
    store = providers["nats"]
    assert sorted(store["implements"]) == sorted(IMPLEMENTS)
    assert (store["factory"], "contract" in store) == (
        "omnicloud.providers.nats:create_store",
        False,
    )
    for name, contract in [
        ("nats-producer", "producer"),
        ("nats-consumer", "consumer"),
        ("nats-delayed", "delayed_messaging"),
    ]:
        assert providers[name]["contract"] == contract
        assert providers[name]["factory"] == "omnicloud.providers.nats:create_broker"
