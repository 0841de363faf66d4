"""Every deliberately broken provider is caught by our suites; every control passes them all.

The ``*_mutants.py`` modules next to this file each hold one correct control provider and many
mutants, each with one realistic bug (its docstring says which). One pytest subprocess (two
xdist workers, one class per worker at a time) runs a generated module with a test class per
provider, written the way users write them (subclass the suite, override the fixture). A small
conftest skips the rest of a class once one of its tests has failed: one failure is all it takes
to show a mutant is caught, and it keeps the run short (TTL tests sleep).
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import cache_mutants
import document_database_mutants
import iam_mutants
import kv_store_mutants
import multi_tenancy_mutants
import object_storage_mutants
import pytest
import secrets_mutants
from junitparser import Error, Failure, JUnitXml, Skipped

HERE = Path(__file__).parent
# One xdist worker runs the whole module, so the mutant run (the module fixture) happens once,
# not once on every worker that draws one of its tests.
pytestmark = pytest.mark.xdist_group("mutants")
#: Upper bound for the whole mutant run (about 35 s on an idle 2-core machine).
RUN_TIMEOUT_S = 300

KV_FACTORY = """
    @pytest.fixture
    def provider_factory(self):
        async def _factory(tenant_id=None, **config):
            return {cls}(tenant_id)
        return _factory
"""
PLAIN_FACTORY = """
    @pytest.fixture
    def provider_factory(self):
        async def _factory(**config):
            return {cls}()
        return _factory
"""
SECRETS_FACTORY = """
    @pytest.fixture
    def provider_factory(self, pre_configured_secret_name, pre_configured_secret_value):
        async def _factory(**config):
            return {cls}({{pre_configured_secret_name: pre_configured_secret_value}})
        return _factory
"""
DOCUMENT_FACTORY = """
    @pytest.fixture
    def provider_factory(self):
        async def _factory(**config):
            db = {cls}()
            return db, db.drop_collection
        return _factory
"""
IAM_FACTORY = """
    @pytest.fixture
    def provider_factory(self):
        async def _factory(policy_set):
            return {cls}(policy_set)
        return _factory
"""
KV = "BaseTestKVStoreContract, mt.TestMultiTenancyContractMixin"

SUITES: dict[ModuleType, tuple[str, str]] = {
    kv_store_mutants: (KV, KV_FACTORY),
    multi_tenancy_mutants: (KV, KV_FACTORY),
    cache_mutants: ("BaseTestCacheContract, mt.TestMultiTenancyContractMixin", KV_FACTORY),
    object_storage_mutants: ("BaseTestObjectStorageContract", PLAIN_FACTORY),
    secrets_mutants: ("BaseTestSecretsContract", SECRETS_FACTORY),
    document_database_mutants: ("BaseTestDocumentDatabaseContract", DOCUMENT_FACTORY),
    iam_mutants: ("BaseTestIAMContract", IAM_FACTORY),
}

HEADER = """
import pytest
from tck_py.policies import multi_tenancy as mt
from tck_py.primitives.cache import BaseTestCacheContract
from tck_py.primitives.document_database import BaseTestDocumentDatabaseContract
from tck_py.primitives.kv_store import BaseTestKVStoreContract
from tck_py.primitives.object_storage import BaseTestObjectStorageContract
from tck_py.primitives.secrets import BaseTestSecretsContract
from tck_py.security.iam import BaseTestIAMContract
"""

CONFTEST = f"""
import sys
import pytest

sys.path.insert(0, {str(HERE)!r})
_caught = set()


def pytest_runtest_setup(item):
    if item.cls is not None and item.cls.__name__ in _caught:
        pytest.skip("provider already caught by an earlier test of its class")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and item.cls is not None:
        _caught.add(item.cls.__name__)
    return report
"""

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""


@dataclass(frozen=True)
class Provider:
    module: ModuleType
    cls: type

    @property
    def name(self) -> str:
        return f"{self.module.__name__}.{self.cls.__name__}"

    @property
    def test_class(self) -> str:
        return f"Test__{self.module.__name__}__{self.cls.__name__}"

    @property
    def is_control(self) -> bool:
        return (self.cls.__doc__ or "").startswith("Control")

    def source(self) -> str:
        bases, factory = SUITES[self.module]
        fixture = factory.format(cls=f"{self.module.__name__}.{self.cls.__name__}")
        return f"\n\nclass {self.test_class}({bases}):{fixture}"


def _providers() -> list[Provider]:
    return [
        Provider(module, cls)
        for module in SUITES
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__
    ]


PROVIDERS = _providers()
MUTANTS = [p for p in PROVIDERS if not p.is_control]
CONTROLS = [p for p in PROVIDERS if p.is_control]


@dataclass
class ClassOutcome:
    tests: int = 0
    failed: list[str] = field(default_factory=list)
    errors: int = 0
    skipped: int = 0


def _parse(junit: Path) -> dict[str, ClassOutcome]:
    outcomes: dict[str, ClassOutcome] = {}
    for suite in JUnitXml.fromfile(str(junit)):
        for case in suite:
            outcome = outcomes.setdefault(case.classname.rpartition(".")[2], ClassOutcome())
            outcome.tests += 1
            results = case.result
            if any(isinstance(r, Failure) for r in results):
                outcome.failed.append(case.name)
            outcome.errors += sum(isinstance(r, Error) for r in results)
            outcome.skipped += sum(isinstance(r, Skipped) for r in results)
    return outcomes


@pytest.fixture(scope="module")
def outcomes() -> Iterator[dict[str, ClassOutcome]]:
    # A private folder, not pytest's basetemp: concurrent pytest sessions on one machine rotate
    # basetemps and could delete it under the running subprocess.
    with tempfile.TemporaryDirectory(prefix="omnicloud-mutants-") as name:
        yield _run_generated_module(Path(name))


def _run_generated_module(folder: Path) -> dict[str, ClassOutcome]:
    imports = "".join(f"\nimport {module.__name__}" for module in SUITES)
    module = HEADER + imports + "".join(p.source() for p in PROVIDERS) + "\n"
    (folder / "test_generated_providers.py").write_text(textwrap.dedent(module))
    (folder / "conftest.py").write_text(CONFTEST)
    (folder / "pytest.ini").write_text(INI)
    junit = folder / "junit.xml"
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:omnicloud",
        "-p",
        "no:benchmark",
        "-n",
        "2",
        "--dist",
        "loadscope",
        f"--junitxml={junit}",
        "test_generated_providers.py",
    ]
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    proc = subprocess.run(
        argv,
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    assert junit.is_file(), f"the mutant run wrote no JUnit report:\n{proc.stdout}\n{proc.stderr}"
    return _parse(junit)


def _expected_tests(provider: Provider) -> int:
    bases = SUITES[provider.module][0].replace("mt.", "").split(", ")
    from tck_py.policies import multi_tenancy as mt
    from tck_py.primitives import cache, document_database, kv_store, object_storage, secrets
    from tck_py.security import iam

    classes: dict[str, Any] = {
        "BaseTestKVStoreContract": kv_store.BaseTestKVStoreContract,
        "TestMultiTenancyContractMixin": mt.TestMultiTenancyContractMixin,
        "BaseTestCacheContract": cache.BaseTestCacheContract,
        "BaseTestObjectStorageContract": object_storage.BaseTestObjectStorageContract,
        "BaseTestSecretsContract": secrets.BaseTestSecretsContract,
        "BaseTestDocumentDatabaseContract": document_database.BaseTestDocumentDatabaseContract,
        "BaseTestIAMContract": iam.BaseTestIAMContract,
    }
    names = {n for base in bases for n in dir(classes[base]) if n.startswith("test_")}
    return len(names)


def test_there_are_enough_mutants() -> None:
    assert len(MUTANTS) >= 25
    assert len(CONTROLS) == len(SUITES)


@pytest.mark.parametrize("provider", MUTANTS, ids=lambda p: p.name)
def test_mutant_is_caught(provider: Provider, outcomes: dict[str, ClassOutcome]) -> None:
    outcome = outcomes.get(provider.test_class)
    assert outcome is not None, f"{provider.name} was not collected"
    assert outcome.errors == 0, f"{provider.name}: harness errors, not test failures"
    assert outcome.failed, f"{provider.name} ({provider.cls.__doc__}) passed every test"


@pytest.mark.parametrize("provider", CONTROLS, ids=lambda p: p.name)
def test_correct_provider_passes_everything(
    provider: Provider, outcomes: dict[str, ClassOutcome]
) -> None:
    outcome = outcomes.get(provider.test_class)
    assert outcome is not None, f"{provider.name} was not collected"
    assert (outcome.failed, outcome.errors, outcome.skipped) == ([], 0, 0)
    assert outcome.tests == _expected_tests(provider)
