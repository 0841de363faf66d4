"""The etcd backend's page, its IMPLEMENTS and omnicloud.toml agree on every interface."""

from __future__ import annotations

from backend_docs import (
    backend_page,
    declared_store,
    interfaces_named,
    missing_methods,
    providers,
    section,
)

from omnicloud.providers.etcd.store import IMPLEMENTS, EtcdStore
from tck_py.interfaces.catalog import INTERFACES

PAGE = backend_page("etcd")


def test_the_page_lists_what_the_store_implements_and_only_that() -> None:
    named = interfaces_named(section(PAGE, "## What it implements"))
    assert named == set(IMPLEMENTS) | {"distributed_lock"}


def test_every_other_interface_has_a_reason() -> None:
    named = interfaces_named(section(PAGE, "## What it does not implement"))
    assert named == set(INTERFACES) - set(IMPLEMENTS)


def test_the_store_has_every_method_of_what_it_claims() -> None:
    assert missing_methods(EtcdStore, IMPLEMENTS) == []


def test_omnicloud_toml_declares_the_store_and_the_lock() -> None:
    assert declared_store("etcd") == (
        "omnicloud.providers.etcd:create_store",
        None,
        list(IMPLEMENTS),
    )
    lock = providers()["etcd-lock"]
    assert lock["contract"] == "distributed_lock"
    assert lock["factory"] == "omnicloud.providers.etcd:create_lock_manager"
