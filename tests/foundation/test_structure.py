"""Structural tests: every contract has a suite, a docs page and a reference provider that this
repository certifies; generated docs are current; the public surface is importable."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import omnicloud
from omnicloud.config import load_config
from omnicloud.contracts import CONTRACTS
from omnicloud.docgen import render

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_every_contract_has_an_importable_suite_and_a_docs_page(name: str) -> None:
    spec = CONTRACTS[name]
    module, _, cls = spec.suite.partition(":")
    suite = getattr(importlib.import_module(module), cls)
    assert cls.startswith(("BaseTest", "TestMultiTenancy"))
    assert any(m.startswith("test_") for m in dir(suite))
    assert (ROOT / "docs" / "contracts" / f"{name}.md").is_file()
    importlib.import_module(spec.adapter)


def test_every_contract_is_certified_by_this_repository() -> None:
    config = load_config(ROOT / "omnicloud.toml", environ={})
    certified = {p.contract for p in config.providers.values()}
    certified |= {policy for p in config.providers.values() for policy in p.policies}
    assert certified >= set(CONTRACTS), sorted(set(CONTRACTS) - certified)


def test_configuration_reference_is_generated_from_the_models() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == render(), "run 'nox -s docs' to regenerate docs/configuration.md"


def test_public_surface_is_importable() -> None:
    for name in omnicloud.__all__:
        assert getattr(omnicloud, name) is not None


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if line.startswith("python3 -m pip")]
    assert commands[:2] == [
        "python3 -m pip install nox && nox -s certify-kv    # certify the embedded KV providers"
        " (no services)",
        "python3 -m pip install nox && nox -s tests         # run the test suite",
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.rstrip().endswith("python3 -m pip install nox && nox -s tests")


def test_every_relative_link_in_the_docs_resolves() -> None:
    import re

    broken = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for link in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", page.read_text("utf-8")):
            if not (page.parent / link).resolve().is_file():
                broken.append(f"{page.relative_to(ROOT)} -> {link}")
    assert broken == []


def test_every_docs_page_is_reachable_from_the_index() -> None:
    index = (ROOT / "docs" / "index.md").read_text("utf-8")
    pages = {p.name for p in (ROOT / "docs").glob("*.md")} - {"index.md"}
    performance_details = {p for p in pages if p.startswith("performance-")}
    missing = sorted(p for p in pages - performance_details if f"({p})" not in index)
    assert missing == []
