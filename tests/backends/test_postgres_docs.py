"""The PostgreSQL backend's page, its IMPLEMENTS and omnicloud.toml agree on every interface."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from omnicloud.providers.postgres.store import IMPLEMENTS, PostgresStore
from tck_py.interfaces.catalog import INTERFACES

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "backends" / "postgres.md"


def _section(title: str) -> str:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _rows(section: str) -> set[str]:
    """Interface names in the first column of a section's table."""
    return {
        name
        for line in section.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([a-z]+_[a-z_]+)`", line.split("|")[1])
    }


def test_the_page_lists_what_the_store_implements_and_only_that() -> None:
    assert _rows(_section("What it implements")) == set(IMPLEMENTS)


def test_every_other_interface_has_a_reason() -> None:
    assert _rows(_section("What it does not implement")) == set(INTERFACES) - set(IMPLEMENTS)


def test_the_page_states_the_count() -> None:
    assert f"**{len(IMPLEMENTS)} of the catalog's {len(INTERFACES)} interfaces**" in (
        PAGE.read_text(encoding="utf-8")
    )


def test_the_store_has_every_method_of_what_it_claims() -> None:
    missing = [
        f"{name}.{method}"
        for name in IMPLEMENTS
        for method in INTERFACES[name].method_names
        if not callable(getattr(PostgresStore, method, None))
    ]
    assert missing == []


def test_omnicloud_toml_claims_exactly_implements() -> None:
    config = tomllib.loads((ROOT / "omnicloud.toml").read_text(encoding="utf-8"))
    provider = config["providers"]["postgres"]
    assert provider["implements"] == list(IMPLEMENTS)
    assert provider["factory"] == "omnicloud.providers.postgres:create_store"
    assert "contract" not in provider
