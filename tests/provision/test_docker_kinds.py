"""etcd, NATS and RabbitMQ in containers, from images built locally out of host binaries."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from test_kinds import _amqp_roundtrip, _etcd_roundtrip, _nats_jetstream_roundtrip

from omnicloud.config import Config
from omnicloud.provision.base import OWNER_LABEL, owner_id
from omnicloud.provision.images import build_image, local_tag
from omnicloud.provision.isolation import worker_view
from omnicloud.provision.kinds import get_kind
from omnicloud.provision.lifecycle import provision
from service_guard import require_binary

pytestmark = pytest.mark.services("docker")


def _image(client: Any, kind: str) -> str:
    found = get_kind(kind)
    assert found is not None
    assert found.local_image is not None
    return build_image(found.local_image(), client)


def _ours(client: Any) -> set[str]:
    listing = client.api.containers(all=True, filters={"label": f"{OWNER_LABEL}={owner_id()}"})
    return {str(c["Id"]) for c in listing}


def _config(make_config: Callable[[str], Config], **images: str) -> Config:
    services = "".join(f'[services.{k}]\nimage = "{v}"\n' for k, v in images.items())
    return make_config(services + '[environments.docker]\nprovisioner = "docker"\n')


def test_etcd_and_nats_containers_serve_each_worker_its_prefix_and_are_removed(
    client: Any, make_config: Callable[[str], Config]
) -> None:
    require_binary("etcd", "etcd-server")
    require_binary("nats-server", "nats-server")
    config = _config(make_config, etcd=_image(client, "etcd"), nats=_image(client, "nats"))
    before = _ours(client)
    with provision(config, environment="docker") as env:
        assert len(_ours(client) - before) == 2
        view = worker_view(env.endpoints(), "gw2")
        assert _etcd_roundtrip(view["etcd"]) == "gw2/k=v"
        assert asyncio.run(_nats_jetstream_roundtrip(view["nats"])) == "gw2_orders:b'hello'"
    assert _ours(client) - before == set()


@pytest.mark.slow
def test_rabbitmq_container_has_the_worker_vhosts_and_the_configured_user(
    client: Any, make_config: Callable[[str], Config]
) -> None:
    require_binary("rabbitmq-server", "rabbitmq-server")
    tag = _image(client, "rabbitmq")
    assert tag == local_tag("rabbitmq")
    config = make_config(f"""
        [services.rabbitmq]
        image = "{tag}"
        fields = {{ user = "acme", password = {{ secret = "s3cret" }} }}
        [environments.docker]
        provisioner = "docker"
    """)
    before = _ours(client)
    with provision(config, environment="docker") as env:
        endpoint = env.endpoints()["rabbitmq"]
        assert endpoint["url"].startswith("amqp://acme:s3cret@127.0.0.1:")
        view = worker_view({"rabbitmq": endpoint}, "gw5")["rabbitmq"]
        assert view["vhost"] == "omnicloud_gw5"
        assert asyncio.run(_amqp_roundtrip(view)) == "gw5.jobs:b'job'"
    assert _ours(client) - before == set()
