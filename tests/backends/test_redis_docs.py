"""The Redis backend's page, its IMPLEMENTS and omnicloud.toml agree on every interface."""

from __future__ import annotations

from backend_docs import backend_page, declared_store, interfaces_named, missing_methods, section

from omnicloud.providers.redis.store import IMPLEMENTS, RedisStore
from tck_py.interfaces.catalog import INTERFACES

PAGE = backend_page("redis")


def test_the_page_lists_what_the_store_implements_and_only_that() -> None:
    assert interfaces_named(section(PAGE, "## What it implements")) == set(IMPLEMENTS)


def test_every_other_interface_has_a_reason() -> None:
    named = interfaces_named(section(PAGE, "## What it does not implement"))
    assert named == set(INTERFACES) - set(IMPLEMENTS)


def test_the_store_has_every_method_of_what_it_claims() -> None:
    assert missing_methods(RedisStore, IMPLEMENTS) == []


def test_omnicloud_toml_claims_exactly_implements() -> None:
    assert declared_store("redis") == (
        "omnicloud.providers.redis:create_store",
        None,
        list(IMPLEMENTS),
    )
