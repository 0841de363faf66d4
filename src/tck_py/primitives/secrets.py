"""Secrets contract (read path).

Fixtures: ``provider_factory`` (sync) returning an async callable; ``await provider_factory()``
gives a provider with async ``get(secret_name) -> str`` that raises
``tck_py.shared.exceptions.SecretNotFoundError`` for a missing name. The provider must already
hold the secret named by ``pre_configured_secret_name`` with the value
``pre_configured_secret_value`` (override both fixtures to use your own; the factory may depend
on them to seed the secret).

Beyond upstream, each test checks one guarantee about name lookup: names are exact (case,
prefixes, extensions, surrounding whitespace), a miss raises ``SecretNotFoundError`` (not
``KeyError``, not ``None``), a miss does not disturb later reads, and concurrent reads agree.
Only the two fixtures above are used, so existing test classes get these checks unchanged.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tck_py.shared.exceptions import SecretNotFoundError

ProviderFactory = Callable[..., Awaitable[Any]]

#: Number of reads issued at once by the concurrency test.
CONCURRENT_READS = 50


def _variants(name: str) -> dict[str, str]:
    """Names close to ``name`` that must not resolve to it, labelled for the failure message.

    Only non-empty names that differ from ``name`` are probed: an empty or malformed name may be
    rejected as invalid input rather than as missing, which is not what these tests are about.
    """
    head, _, tail = name.rpartition("/")
    variants = {
        "upper-cased": name.upper(),
        "lower-cased": name.lower(),
        "last character dropped": name[:-1],
        "extended by '-2'": name + "-2",
        "extended by '/child'": name + "/child",
        "trailing space": name + " ",
        "leading space": " " + name,
        "parent path": head,
        "parent path with slash": head + "/" if head else "",
        "first half": name[: len(name) // 2],
        "last segment only": tail if head else "",
    }
    return {label: v for label, v in variants.items() if v and v != name}


@pytest.mark.asyncio
class BaseTestSecretsContract:
    """The secrets contract. Subclass it and override ``provider_factory``."""

    @pytest.fixture
    def provider_factory(self) -> ProviderFactory:
        raise NotImplementedError(
            "override the 'provider_factory' fixture in your test class: it must return an async"
            " callable that creates your secrets provider, already holding the secret named by"
            " 'pre_configured_secret_name' with value 'pre_configured_secret_value'"
        )

    @pytest.fixture
    def pre_configured_secret_name(self) -> str:
        return "tck/secrets/my-secret"

    @pytest.fixture
    def pre_configured_secret_value(self) -> str:
        return "super-secret-tck-value"

    # -- upstream tests ---------------------------------------------------------------------

    async def test_get_existing_secret(
        self,
        provider_factory: ProviderFactory,
        pre_configured_secret_name: str,
        pre_configured_secret_value: str,
    ) -> None:
        provider = await provider_factory()
        value = await provider.get(pre_configured_secret_name)
        assert value is not None
        assert value == pre_configured_secret_value

    async def test_get_non_existent_secret_raises_exception(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        with pytest.raises(SecretNotFoundError):
            await provider.get(f"tck/non-existent/{uuid.uuid4()}")

    async def test_repeated_get_secret_is_consistent(
        self,
        provider_factory: ProviderFactory,
        pre_configured_secret_name: str,
        pre_configured_secret_value: str,
    ) -> None:
        provider = await provider_factory()
        first = await provider.get(pre_configured_secret_name)
        second = await provider.get(pre_configured_secret_name)
        assert first == pre_configured_secret_value
        assert second == pre_configured_secret_value

    # -- lookups are exact ------------------------------------------------------------------

    async def test_secret_value_is_returned_as_a_str(
        self, provider_factory: ProviderFactory, pre_configured_secret_name: str
    ) -> None:
        provider = await provider_factory()
        assert type(await provider.get(pre_configured_secret_name)) is str

    async def test_secret_names_are_case_sensitive(
        self, provider_factory: ProviderFactory, pre_configured_secret_name: str
    ) -> None:
        provider = await provider_factory()
        for label in ("upper-cased", "lower-cased"):
            variant = _variants(pre_configured_secret_name).get(label)
            if variant is None:
                continue
            with pytest.raises(SecretNotFoundError):
                await provider.get(variant)

    async def test_name_that_is_part_of_a_secret_name_does_not_match(
        self, provider_factory: ProviderFactory, pre_configured_secret_name: str
    ) -> None:
        provider = await provider_factory()
        variants = _variants(pre_configured_secret_name)
        for label in (
            "last character dropped",
            "first half",
            "parent path",
            "parent path with slash",
            "last segment only",
        ):
            if label in variants:
                with pytest.raises(SecretNotFoundError):
                    await provider.get(variants[label])

    async def test_name_that_extends_a_secret_does_not_match(
        self, provider_factory: ProviderFactory, pre_configured_secret_name: str
    ) -> None:
        provider = await provider_factory()
        variants = _variants(pre_configured_secret_name)
        for label in ("extended by '-2'", "extended by '/child'"):
            if label in variants:
                with pytest.raises(SecretNotFoundError):
                    await provider.get(variants[label])

    async def test_names_are_not_trimmed(
        self, provider_factory: ProviderFactory, pre_configured_secret_name: str
    ) -> None:
        provider = await provider_factory()
        variants = _variants(pre_configured_secret_name)
        for label in ("trailing space", "leading space"):
            with pytest.raises(SecretNotFoundError):
                await provider.get(variants[label])

    async def test_missing_secret_raises_secret_not_found_not_a_generic_error(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        try:
            result = await provider.get(f"tck/non-existent/{uuid.uuid4()}")
        except SecretNotFoundError:
            return
        except Exception as exc:
            pytest.fail(f"expected SecretNotFoundError, got {type(exc).__name__}: {exc}")
        pytest.fail(f"expected SecretNotFoundError, got the return value {result!r}")

    async def test_a_miss_does_not_hide_the_existing_secret(
        self,
        provider_factory: ProviderFactory,
        pre_configured_secret_name: str,
        pre_configured_secret_value: str,
    ) -> None:
        provider = await provider_factory()
        with pytest.raises(SecretNotFoundError):
            await provider.get(pre_configured_secret_name + "-missing")
        assert await provider.get(pre_configured_secret_name) == pre_configured_secret_value

    async def test_a_miss_is_not_remembered_as_a_value(
        self, provider_factory: ProviderFactory
    ) -> None:
        provider = await provider_factory()
        name = f"tck/non-existent/{uuid.uuid4()}"
        for _ in range(2):
            with pytest.raises(SecretNotFoundError):
                await provider.get(name)

    async def test_concurrent_reads_return_the_same_value(
        self,
        provider_factory: ProviderFactory,
        pre_configured_secret_name: str,
        pre_configured_secret_value: str,
    ) -> None:
        provider = await provider_factory()
        values = await asyncio.gather(
            *(provider.get(pre_configured_secret_name) for _ in range(CONCURRENT_READS))
        )
        assert values == [pre_configured_secret_value] * CONCURRENT_READS

    async def test_separate_instances_hold_the_configured_secret(
        self,
        provider_factory: ProviderFactory,
        pre_configured_secret_name: str,
        pre_configured_secret_value: str,
    ) -> None:
        first = await provider_factory()
        second = await provider_factory()
        assert await first.get(pre_configured_secret_name) == pre_configured_secret_value
        assert await second.get(pre_configured_secret_name) == pre_configured_secret_value
