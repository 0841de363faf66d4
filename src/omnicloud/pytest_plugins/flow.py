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

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from omnicloud.workflows.flow import FlowStore


@pytest.fixture(scope="session")
def omnicloud_flow(tmp_path_factory: pytest.TempPathFactory) -> FlowStore:
    from omnicloud.workflows.flow import FlowStore

    store = FlowStore.from_environment()
    if store is None:
        store = FlowStore(tmp_path_factory.mktemp("omnicloud-flow") / "flow.json")
    return store


def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Publish fields of a test's return value when the workflow asks for them.

    ``$OMNICLOUD_FLOW_CAPTURE`` maps test names to ``{field: flow key}`` (seed 004's
    ``"from": "user-service.test_login.return.token"``). Only synchronous tests are captured;
    others run as usual.
    """
    import inspect
    import json
    import os

    wanted = json.loads(os.environ.get("OMNICLOUD_FLOW_CAPTURE") or "{}").get(
        pyfuncitem.originalname
    )
    function = pyfuncitem.obj
    if not wanted or inspect.iscoroutinefunction(function):
        return None
    from omnicloud.workflows.flow import FlowStore

    names = pyfuncitem._fixtureinfo.argnames
    returned = function(**{name: pyfuncitem.funcargs[name] for name in names})
    store = FlowStore.from_environment()
    if store is not None and isinstance(returned, dict):
        for field, key in wanted.items():
            if field in returned:
                store.publish(key, returned[field])
    return True
