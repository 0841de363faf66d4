"""The interface catalog: 45 interfaces in 10 families, each with an importable suite."""

from __future__ import annotations

import importlib
from collections import Counter
from pathlib import Path

import pytest

from omnicloud.capabilities import check_shape, interface_names, spec_for, suite_for
from omnicloud.providers.memory.memstore import MemStore
from tck_py.interfaces.catalog import INTERFACES, families

DOCS = Path(__file__).parents[2] / "docs" / "interfaces.md"


def test_45_interfaces_in_10_families() -> None:
    counts = {family: len(names) for family, names in families().items()}
    assert counts == {
        "keyvalue": 6,
        "pubsub": 5,
        "stream": 5,
        "queue": 5,
        "list": 4,
        "set": 4,
        "sortedset": 5,
        "timeseries": 4,
        "graph": 4,
        "document": 3,
    }
    assert len(interface_names()) == 45


def test_method_names_are_unique_across_the_catalog() -> None:
    names = Counter(op.name for spec in INTERFACES.values() for op in spec.operations)
    assert [name for name, count in names.items() if count > 1] == []


@pytest.mark.parametrize("name", list(INTERFACES))
def test_every_interface_has_a_suite_that_is_not_collected_by_itself(name: str) -> None:
    module, _, cls_name = suite_for(name).partition(":")
    suite = getattr(importlib.import_module(module), cls_name)
    assert cls_name.startswith("BaseTest")
    assert cls_name.endswith("Interface")
    assert suite.interface == name
    assert any(m.name == "asyncio" for m in getattr(suite, "pytestmark", []))
    assert [t for t in dir(suite) if t.startswith("test_")], f"{cls_name} has no tests"


@pytest.mark.parametrize("name", list(INTERFACES))
def test_memstore_has_the_shape_of_every_interface(name: str) -> None:
    assert check_shape(MemStore, name) == []


def test_non_basic_interfaces_build_on_their_family_core() -> None:
    for spec in INTERFACES.values():
        basic = f"{spec.family}_basic"
        assert spec.requires == (() if spec.name == basic else spec.requires)
        if spec.name != basic:
            assert basic in spec.requires


def test_kv_store_contract_is_the_keyvalue_basic_core() -> None:
    basic = spec_for("keyvalue_basic")
    assert {"get", "set", "delete"} <= set(basic.method_names)
    assert "kv_store" in basic.contracts


def test_unknown_names_suggest_the_closest() -> None:
    with pytest.raises(LookupError) as info:
        suite_for("keyvalue_tll")
    assert str(info.value) == (
        "unknown interface 'keyvalue_tll'; did you mean 'keyvalue_ttl'?"
        " (45 interfaces: see docs/interfaces.md)"
    )


def test_docs_cover_every_family_and_interface() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for family, names in families().items():
        assert f"## {family}" in text.lower()
        for name in names:
            assert f"`{name}`" in text
