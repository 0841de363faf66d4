"""Look-ups into the interface catalog, with errors that suggest the name meant."""

from __future__ import annotations

from omnicloud.errors import did_you_mean
from tck_py.interfaces.catalog import INTERFACES, InterfaceSpec
from tck_py.interfaces.catalog import interface_names as _names


def interface_names() -> list[str]:
    """The 45 interface names, in catalog order (family by family)."""
    return _names()


def spec_for(name: str) -> InterfaceSpec:
    """The catalog entry of ``name``; ``LookupError`` with did-you-mean when unknown."""
    spec = INTERFACES.get(name)
    if spec is None:
        raise LookupError(
            f"unknown interface '{name}'{did_you_mean(name, list(INTERFACES))}"
            f" ({len(INTERFACES)} interfaces: see docs/interfaces.md)"
        )
    return spec


def suite_for(name: str) -> str:
    """``module:Class`` of the suite that certifies interface ``name``."""
    return spec_for(name).suite
