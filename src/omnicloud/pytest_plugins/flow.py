"""The ``omnicloud_flow`` fixture: publish and read values that flow between workflow steps.

    def test_login(omnicloud_flow):
        token = login()
        omnicloud_flow.publish("token", token)

    def test_pay(omnicloud_flow):
        pay(headers={"Authorization": omnicloud_flow["token"]})

Outside a workflow run (no ``$OMNICLOUD_FLOW``) the values live in a file private to the test
session, so a test module can still publish and read within one run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from omnicloud.workflows.flow import FlowStore


@pytest.fixture(scope="session")
def omnicloud_flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowStore]:
    from omnicloud.workflows.flow import FlowStore

    store = FlowStore.from_environment()
    if store is None:
        store = FlowStore(tmp_path_factory.mktemp("omnicloud-flow") / "flow.json")
    yield store
