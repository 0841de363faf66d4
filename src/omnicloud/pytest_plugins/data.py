"""The ``omnicloud_data`` fixture: datasets from ``[data.<name>]``, isolated per test.

    def test_signup(omnicloud_data):
        users = omnicloud_data("users")                 # list of dicts, this test's own data
        assert len({u["email"] for u in users}) == len(users)

    async def test_lookup(omnicloud_data, kv):
        async with omnicloud_data.load("users", kv) as loaded:   # removed afterwards, pass or fail
            assert await kv.get(loaded.addresses[0]) is not None

Each test gets seeds derived from the dataset's seed, its node id and its xdist worker
(``derive_seed``), so tests and workers never share generated values, and a namespace
(``omnicloud_data.namespace``) that prefixes every key it loads. The seed and fingerprint of each
dataset a test uses are recorded as JUnit properties (``omnicloud.data.<name>``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from omnicloud import plugin
from omnicloud.errors import OmnicloudError

if TYPE_CHECKING:
    from omnicloud.data.fixture import DataFixture


@pytest.fixture
def omnicloud_data(request: pytest.FixtureRequest) -> DataFixture:
    """Datasets from ``[data.*]`` of the omnicloud configuration, isolated to this test."""
    from omnicloud.data.fixture import DataFixture
    from omnicloud.data.isolation import current_worker

    try:
        config = plugin.omnicloud_config(request.config)
    except OmnicloudError as exc:
        pytest.fail(f"omnicloud_data: {exc.render()}", pytrace=False)
    return DataFixture(
        config.data,
        test_id=request.node.nodeid,
        worker_id=current_worker(),
        properties=request.node.user_properties,
    )
