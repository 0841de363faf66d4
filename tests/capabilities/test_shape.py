# mypy: disable-error-code="empty-body"
"""Shape checks report every missing or mis-shaped method of the declared interfaces."""

from __future__ import annotations

from typing import Any

import pytest
from fake_providers import HalfTTL

from omnicloud.capabilities import check_shape, require_shapes, shape_target
from omnicloud.errors import ExitCode, ProviderError
from omnicloud.providers.memory.memstore import MemStore


def test_missing_and_mis_shaped_methods_are_listed() -> None:
    assert check_shape(HalfTTL, "keyvalue_ttl") == [
        "'set_with_ttl' lacks parameter 'ttl' (position 3)"
        " (async def set_with_ttl(key: str, value: str, ttl: float) -> None)",
        "missing 'expire' (async def expire(key: str, ttl: float) -> bool)",
        "'get_ttl' is not async (async def get_ttl(key: str) -> float | None)",
        "'persist' parameter 1 is 'name', expected 'key' (async def persist(key: str) -> bool)",
    ]
    assert check_shape(HalfTTL, "keyvalue_basic") == []


def test_instances_are_checked_like_classes() -> None:
    assert check_shape(HalfTTL(), "keyvalue_ttl") == check_shape(HalfTTL, "keyvalue_ttl")
    assert check_shape(MemStore(), "list_basic") == []


def test_defaults_varargs_and_extra_parameters() -> None:
    class Store:
        async def scan(self, prefix: str, limit: int | None = None) -> list[Any]: ...

        async def scan_keys(
            self, prefix: str = "", limit: int | None = None, *, page: int
        ) -> list[str]: ...

        async def count(self, *args: Any, **kwargs: Any) -> int: ...

        async def list_push_left(self, key: str, value: str) -> int: ...

    assert check_shape(Store, "keyvalue_scan") == [
        "'scan' parameter 'prefix' needs a default"
        " (async def scan(prefix: str = '', limit: int | None = None)"
        " -> list[tuple[str, str]])",
        "'scan_keys' has an extra required parameter 'page'"
        " (async def scan_keys(prefix: str = '', limit: int | None = None) -> list[str])",
    ]
    assert check_shape(Store, "list_basic")[0] == (
        "'list_push_left' must accept *values (async def list_push_left(key: str, *values: str)"
        " -> int)"
    )


def test_keyword_only_parameters() -> None:
    class Store:
        async def zset_union(self, *keys: str) -> list[Any]: ...

        async def zset_intersection(self, *keys: str, aggregate: str) -> list[Any]: ...

    problems = check_shape(Store, "sortedset_operations")
    assert problems[0].startswith("'zset_union' lacks keyword parameter 'aggregate'")
    assert problems[1].startswith("'zset_intersection' parameter 'aggregate' needs a default")


def test_require_shapes_raises_a_provider_error_listing_everything() -> None:
    with pytest.raises(ProviderError) as info:
        require_shapes(
            HalfTTL, ["keyvalue_basic", "keyvalue_ttl"], what="providers.half.implements"
        )
    error = info.value
    assert error.exit_code == ExitCode.PROVIDER == 4
    assert error.message.startswith(
        "providers.half.implements: HalfTTL does not have the methods of the interfaces it"
        " declares (4 problems): keyvalue_ttl: 'set_with_ttl' lacks parameter 'ttl'"
    )
    assert "keyvalue_ttl: missing 'expire'" in error.message
    assert error.hint == (
        "fix the methods, or remove the interface from 'implements'"
        " (signatures: docs/interfaces.md)"
    )


def test_factories_are_checked_through_their_return_annotation() -> None:
    async def annotated(**options: Any) -> HalfTTL:
        return HalfTTL()

    assert shape_target(annotated) is HalfTTL
    with pytest.raises(ProviderError):
        require_shapes(annotated, ["keyvalue_ttl"], what="x")


def test_unannotated_factories_are_checked_through_the_class_they_construct() -> None:
    def create_store(**options: Any):  # type: ignore[no-untyped-def]  # the case under test
        if options.get("fast"):
            return HalfTTL(**options)
        return HalfTTL()

    async def async_factory(**options):  # type: ignore[no-untyped-def]  # the case under test
        def helper() -> MemStore:  # a nested function's return is not the factory's
            return MemStore()

        helper()
        return HalfTTL()

    assert shape_target(create_store) is HalfTTL
    assert shape_target(async_factory) is HalfTTL
    with pytest.raises(ProviderError) as info:
        require_shapes(create_store, ["keyvalue_ttl"], what="providers.redis.implements")
    assert info.value.message.startswith(
        "providers.redis.implements: HalfTTL does not have the methods of the interfaces it"
        " declares (4 problems): keyvalue_ttl:"
    )


def test_factories_whose_class_cannot_be_read_are_left_to_the_tests() -> None:
    def two_classes(**options: Any) -> Any:
        return HalfTTL() if options else MemStore()

    def constructor_method(**options: Any) -> Any:
        return MemStore.__new__(MemStore)

    def by_variable(**options: Any) -> Any:
        store = HalfTTL()
        return store  # noqa: RET504  # a variable is the case under test

    for factory in (two_classes, constructor_method, by_variable, len):
        assert shape_target(factory) is None
        require_shapes(factory, ["keyvalue_ttl"], what="x")  # only the tests can tell
