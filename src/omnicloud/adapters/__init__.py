"""Adapters turn a configured provider into the fixtures a contract suite expects.

Each contract in ``omnicloud.contracts.CONTRACTS`` names its adapter module. An adapter module
exposes ``build_fixtures(runtime: ProviderRuntime) -> dict[str, object]``: the pytest fixture
functions (by attribute name) to set on the generated test class.
"""

from omnicloud.adapters.runtime import ProviderRuntime, close_quietly, instantiate

__all__ = ["ProviderRuntime", "close_quietly", "instantiate"]
