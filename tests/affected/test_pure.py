"""The pure parts: globs, import parsing and resolution, test-function diffs, mapping groups,
history folding. No git, no files."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from pydantic import ValidationError

from omnicloud.affected.globs import glob_match
from omnicloud.affected.history import per_item, read_durations, recent_failures
from omnicloud.affected.imports import (
    ParsedImports,
    build_graph,
    module_name,
    parse_imports,
    reach_changed,
)
from omnicloud.affected.select import expand_test_pattern
from omnicloud.affected.testdiff import changed_tests
from omnicloud.affected.testmap import blob_id
from omnicloud.config.models import AffectedConfig, MappingRule


@pytest.mark.parametrize(
    ("path", "glob", "expected"),
    [
        ("src/acme/kv/redis.py", "src/acme/kv/**", True),
        ("src/acme/kv/a/b.py", "src/acme/kv/**", True),
        ("src/acme/kvx/a.py", "src/acme/kv/**", False),
        ("conftest.py", "**/conftest.py", True),
        ("tests/a/conftest.py", "**/conftest.py", True),
        ("tests/a/conftest.pyc", "**/conftest.py", False),
        ("src/a.py", "src/*.py", True),
        ("src/sub/a.py", "src/*.py", False),
        ("data/x1.json", "data/x?.json", True),
        ("data/xb.json", "data/x[ab].json", True),
        ("data/xc.json", "data/x[!ab].json", True),
        ("data/xa.json", "data/x[!ab].json", False),
        ("vendor/lib/x.py", "vendor/", True),
        ("pyproject.toml", "./pyproject.toml", True),
        ("a+b.txt", "a+b.txt", True),
    ],
)
def test_glob_match(path: str, glob: str, expected: bool) -> None:
    assert glob_match(path, glob) is expected


def test_parse_imports_everywhere() -> None:
    source = """
import os, acme.a as a
from . import sibling
from ..pkg import thing, other
from acme.b import *
def f():
    import acme.inner
if TYPE_CHECKING:
    from acme.types import T
try:
    import acme.fast
except ImportError:
    import acme.slow
importlib.import_module("acme.plug")
import_module(".rel", "acme.base")
importlib.import_module(name)
__import__(f"acme.{x}")
class C:
    import acme.in_class
    def m(self):
        return lambda: __import__(name)
"""
    parsed = parse_imports(source)
    assert sorted(parsed.records) == sorted(
        [
            (0, "os", (), False),
            (0, "acme.a", (), False),
            (1, "", ("sibling",), False),
            (2, "pkg", ("thing", "other"), False),
            (0, "acme.b", ("*",), False),
            (0, "acme.plug", (), False),
            (0, "acme.base.rel", (), False),
            (0, "acme.inner", (), True),
            (0, "acme.types", ("T",), False),
            (0, "acme.fast", (), False),
            (0, "acme.slow", (), False),
            (0, "acme.in_class", (), False),
        ]
    )
    assert sorted(parsed.dynamic) == [
        (16, "importlib.import_module(name)", False),
        (17, "__import__(f'acme.{x}')", False),
        (21, "__import__(name)", True),
    ]


def test_loader_calls_on_a_table_of_constant_names_are_static() -> None:
    source = """
_EXPORTS = {"Config": "acme.config", "plan": "acme.plan", "again": "acme.plan"}
LAZY: tuple[str, ...] = ("acme.x",)
MIXED = {"a": "acme.a", "b": some_call()}

def __getattr__(name):
    return importlib.import_module(_EXPORTS[name])

def load(name):
    importlib.import_module(LAZY.get(name))
    importlib.import_module(MIXED[name])
"""
    parsed = parse_imports(source)
    assert sorted(parsed.records) == [
        (0, "acme.config", (), True),
        (0, "acme.plan", (), True),
        (0, "acme.x", (), True),
    ]
    assert parsed.dynamic == ((11, "importlib.import_module(MIXED[name])", True),)


def test_unparsable_file_is_a_dynamic_import() -> None:
    assert parse_imports("def broken(:\n") == ParsedImports((), ((1, "does not parse", False),))


def test_parsed_imports_round_trip_json() -> None:
    parsed = parse_imports("from .a import b\nimport_module(x)\ndef f():\n    import c\n")
    assert ParsedImports.from_json(parsed.to_json()) == parsed


def test_module_name_prefers_the_longest_root() -> None:
    roots = ["src", "."]
    assert module_name("src/acme/kv/__init__.py", roots) == "acme.kv"
    assert module_name("src/acme/kv/redis.py", roots) == "acme.kv.redis"
    assert module_name("tests/test_a.py", roots) == "tests.test_a"
    assert module_name("scripts/my-tool.py", roots) is None
    assert module_name("README.md", roots) is None
    assert module_name("lib/x.py", ["src"]) is None


ACME = {
    "src/acme/__init__.py": parse_imports(
        "import importlib\n\n_LAZY = {'Pool': 'acme.net.pool'}\n\n"
        "def __getattr__(name):\n    return importlib.import_module(_LAZY[name])\n"
    ),
    "src/acme/kv/__init__.py": ParsedImports(),
    "src/acme/kv/redis.py": parse_imports("from ..net import pool\nfrom . import missing\n"),
    "src/acme/net/__init__.py": ParsedImports(),
    "src/acme/net/pool.py": parse_imports("import acme.net.sock\nimport requests\n"),
    "src/acme/net/sock.py": ParsedImports(),
    "src/acme/tenant.py": parse_imports("from acme.kv import redis\nimport acme\n"),
}


def test_graph_resolves_relative_submodule_and_parent_imports() -> None:
    graph = build_graph(ACME, ["src"])
    # `from . import missing`: no such submodule, so the package itself is what is imported
    assert graph.edges["src/acme/kv/redis.py"] == (
        "src/acme/kv/__init__.py",
        "src/acme/net/pool.py",
    )
    assert graph.edges["src/acme/net/pool.py"] == ("src/acme/net/sock.py",)
    assert graph.edges["src/acme/__init__.py"] == ("src/acme/net/pool.py",)
    assert graph.eager["src/acme/__init__.py"] == ()
    assert graph.parents["src/acme/net/pool.py"] == ("src/acme/net/__init__.py",)
    assert graph.parents["src/acme/net/__init__.py"] == ("src/acme/__init__.py",)
    assert "src/acme/__init__.py" not in graph.parents
    reach = reach_changed(graph, ["src/acme/net/sock.py"])
    assert reach.chain("src/acme/kv/redis.py") == [
        "src/acme/kv/redis.py",
        "src/acme/net/pool.py",
        "src/acme/net/sock.py",
    ]
    assert "src/acme/kv/__init__.py" not in reach
    assert graph.closure("src/acme/net/pool.py") == {
        "src/acme/net/pool.py": True,
        "src/acme/net/sock.py": True,
        "src/acme/net/__init__.py": False,
        "src/acme/__init__.py": False,
    }


def test_a_lazy_getattr_in_a_parent_package_is_not_followed() -> None:
    graph = build_graph(ACME, ["src"])
    changed = reach_changed(graph, ["src/acme/net/pool.py"])
    # redis.py imports pool itself; sock.py only runs acme/__init__.py as a parent
    assert "src/acme/kv/redis.py" in changed
    assert "src/acme/net/sock.py" not in changed
    # importing the package `acme` itself makes its lazy attribute imports count
    assert changed.chain("src/acme/tenant.py") == [
        "src/acme/tenant.py",
        "src/acme/__init__.py",
        "src/acme/net/pool.py",
    ]
    assert changed.chain("src/acme/__init__.py") == ["src/acme/__init__.py", "src/acme/net/pool.py"]


def test_parent_package_change_reaches_every_module_below_it() -> None:
    graph = build_graph(ACME, ["src"])
    reach = reach_changed(graph, ["src/acme/__init__.py"])
    assert reach.chain("src/acme/net/sock.py") == [
        "src/acme/net/sock.py",
        "src/acme/net/__init__.py",
        "src/acme/__init__.py",
    ]
    assert reach.changed("src/acme/__init__.py")
    assert not reach.changed("src/acme/net/sock.py")


def test_graph_links_imports_of_deleted_files_through_ghosts() -> None:
    parsed = {"src/a.py": parse_imports("import b\n")}
    assert build_graph(parsed, ["src"]).edges["src/a.py"] == ()
    assert build_graph(parsed, ["src"], ghosts=["src/b.py"]).edges["src/a.py"] == ("src/b.py",)


def test_blob_id_matches_git() -> None:
    assert blob_id(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    assert blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


OLD = """
import pytest

@pytest.fixture
def value():
    return 1

def test_a(value):
    assert value == 1

class TestB:
    limit = 3

    def test_c(self):
        assert True

    def test_d(self):
        assert True
"""


def test_changed_tests_only_test_bodies() -> None:
    new = OLD.replace(
        "def test_d(self):\n        assert True", "def test_d(self):\n        assert 1"
    )
    assert changed_tests(OLD, new) == frozenset({"TestB::test_d"})
    added = OLD + "\ndef test_e():\n    assert True\n"
    assert changed_tests(OLD, added) == frozenset({"test_e"})
    commented = OLD.replace("assert value == 1", "assert value == 1  # why")
    assert changed_tests(OLD, commented) is None  # nothing behavioural changed: run it whole


@pytest.mark.parametrize(
    "edit",
    [
        ("return 1", "return 2"),  # a fixture
        ("limit = 3", "limit = 4"),  # a class attribute
        ("import pytest", "import pytest\nimport os"),  # an import
        ("class TestB:", "class TestB(object):"),  # a class header
    ],
)
def test_changed_tests_none_when_more_than_tests_changed(edit: tuple[str, str]) -> None:
    assert changed_tests(OLD, OLD.replace(*edit)) is None


def test_mapping_groups_numbered_named_and_backslash() -> None:
    match = re.fullmatch(r"src/(?P<pkg>\w+)/(.*)\.py", "src/payment/processor.py")
    assert match is not None
    assert expand_test_pattern("tests/test_{2}.py", match) == "tests/test_processor.py"
    assert expand_test_pattern("tests/{pkg}/test_\\2.py", match) == (
        "tests/payment/test_processor.py"
    )
    assert expand_test_pattern("tests/\\g<pkg>.py", match) == "tests/payment.py"


def test_mapping_rule_checks_groups_and_regex_at_load() -> None:
    with pytest.raises(ValidationError, match="uses group '2', but source_pattern"):
        MappingRule(source_pattern="src/(.*).py", test_pattern="tests/{2}.py")
    with pytest.raises(ValidationError, match="invalid regular expression"):
        MappingRule(source_pattern="src/(.py", test_pattern="tests/x.py")
    with pytest.raises(ValidationError, match="unknown rule 'import'; did you mean 'imports'"):
        AffectedConfig(rules=["import"])


def test_history_reader_is_defensive(tmp_path: Path) -> None:
    assert recent_failures(tmp_path / "missing.sqlite") == {}
    (tmp_path / "garbage.sqlite").write_bytes(b"not a database at all" * 10)
    assert recent_failures(tmp_path / "garbage.sqlite") == {}
    db = sqlite3.connect(tmp_path / "h.sqlite")
    db.execute("CREATE TABLE runs (id INTEGER)")
    db.execute("CREATE TABLE test_results (test_id TEXT, status TEXT)")
    db.executemany(
        "INSERT INTO test_results VALUES (?, ?)",
        [("x::a", "FAILED"), ("x::a", "passed"), ("x::a", "error"), ("x::b", "skipped")],
    )
    db.commit()
    db.close()
    assert recent_failures(tmp_path / "h.sqlite") == {"x::a": 2}


def test_durations_reader_and_folding(tmp_path: Path) -> None:
    path = tmp_path / "durations.json"
    path.write_text('{"omnicloud.toml::a-kv:kv_store::t": 1.5, "tests/test_x.py::t": 2, "z": "x"}')
    durations = read_durations(path)
    assert per_item(durations, ["a-kv", "kv"], ["tests/test_x.py", "z"]) == {
        "a-kv": 1.5,
        "tests/test_x.py": 2.0,
    }
    path.write_text("[1, 2]")
    assert read_durations(path) == {}
