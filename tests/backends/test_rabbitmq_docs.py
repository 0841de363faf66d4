"""The RabbitMQ backend's page, its IMPLEMENTS and omnicloud.toml agree on every interface."""

from __future__ import annotations

from backend_docs import (
    backend_page,
    broker_mismatches,
    declared_store,
    interfaces_named,
    missing_methods,
    section,
)

from omnicloud.providers.rabbitmq import IMPLEMENTS, RabbitStore
from tck_py.interfaces.catalog import INTERFACES

PAGE = backend_page("rabbitmq")


def test_the_page_maps_every_claimed_interface_and_only_those() -> None:
    assert interfaces_named(section(PAGE, "## What each interface maps to")) == set(IMPLEMENTS)


def test_every_other_interface_has_a_reason() -> None:
    assert interfaces_named(section(PAGE, "### Left out")) == set(INTERFACES) - set(IMPLEMENTS)


def test_the_store_has_every_method_of_what_it_claims() -> None:
    assert missing_methods(RabbitStore, IMPLEMENTS) == []


def test_omnicloud_toml_declares_the_store_and_the_broker() -> None:
    factory, contract, implements = declared_store("rabbitmq")
    assert (factory, contract) == ("omnicloud.providers.rabbitmq:create_store", None)
    assert sorted(implements) == sorted(IMPLEMENTS)
    assert broker_mismatches("rabbitmq") == []
