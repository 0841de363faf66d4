"""Blocks, probes and module-level bindings (pure parts of the per-test map), in process."""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pytest

import omnicloud.affected
from omnicloud.affected.probes import PROBE, Probes, install, uninstall
from omnicloud.affected.testmap import (
    LazyEntries,
    TestMap,
    blocks,
    cut_units,
    digest,
    module_bindings,
    project_reader,
    select_by_map,
)


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("X.y = 1", {"X"}),
        ("D['k'] = 1", {"D"}),
        ("a.b[0].c = 1", {"a"}),
        ("f()[0].c = 1", set()),  # no name to change
        ("if A:\n    def f(): pass\n    class C: pass\n    import os.path\n", {"f", "C", "os"}),
        ("'a docstring'", set()),
        ("register(x)", set()),  # a call on its own: a side effect, no name
        ("a.b.c(1)", {"a"}),  # a method call changes the object it is called on
        ("x[0].m()", set()),
        ("for i in range(3):\n    T[i] = i\n", {"i", "T"}),
        ("import a.b as c", {"c"}),
    ],
)
def test_module_bindings(source: str, names: set[str]) -> None:
    assert module_bindings(ast.parse(source).body[0]) == names


def test_blocks_of_handlers_cases_and_loops() -> None:
    source = """\
def f(x):
    try:
        a = 1
    except ValueError:
        a = 2
    except KeyError:
        pass
    else:
        a = 3
    finally:
        a = 4
    match x:
        case 1:
            a = 5
        case _:
            a = 6
    while x:
        break
    return a
"""
    keys = [key for key, *_ in blocks(ast.parse(source))]
    assert keys == [
        "f", "f+1", "f+2", "f+3",  # after the try, after the match, after the loop
        "f@0b", "f@0o", "f@0f", "f@0h0", "f@0h1", "f@1c0", "f@1c1", "f@2b",
    ]  # fmt: skip
    units = cut_units(source)
    other = cut_units(source.replace("a = 5", "a = 50"))
    assert units is not None
    assert other is not None
    assert {k for k in units.fingerprints if units.fingerprints[k] != other.fingerprints[k]} == {
        "f@1c0"
    }


def test_probes_choose_the_project_sources_only(tmp_path: Path) -> None:
    probes = Probes(tmp_path)
    assert probes.relative(str(tmp_path / "src" / "a.py")) == "src/a.py"
    for outside in [
        tmp_path.parent / "other.py",
        tmp_path / "data.json",
        tmp_path / ".venv" / "lib" / "x.py",
        tmp_path / "lib" / "site-packages" / "x.py",
        tmp_path / "tests" / "conftest.py",
        tmp_path / "tests" / "test_a.py",
        tmp_path / "pkg" / "a_test.py",
    ]:
        assert probes.relative(str(outside)) is None, outside


def test_a_probed_import_runs_the_same_code_and_reports_its_blocks(tmp_path: Path) -> None:
    package = tmp_path / "probedpkg"
    package.mkdir()
    (package / "__init__.py").write_text('"""A package."""\n')
    (package / "calc.py").write_text(
        '"""Calc."""\n\n\ndef half(n):\n    """Halve."""\n    if n % 2:\n'
        "        raise ValueError(n)\n    return n // 2\n"
    )
    probes = Probes(tmp_path)
    finder = install(probes)
    sys.path.insert(0, str(tmp_path))
    try:
        assert finder.find_spec("json", None) is None  # not the project's
        assert finder.find_spec("no_such_module_anywhere", None) is None
        calc = importlib.import_module("probedpkg.calc")
        probes.take()
        assert calc.half(4) == 2
        assert [probes.keys[i] for i in probes.take()] == [
            ("probedpkg/calc.py", "half"),
            ("probedpkg/calc.py", "half+2"),
        ]
        with pytest.raises(ValueError, match="3"):
            calc.half(3)
        assert [probes.keys[i][1] for i in probes.take()] == ["half", "half@1b"]
        assert calc.half.__doc__ == "Halve."
        assert getattr(calc, PROBE) is probes.hits
        assert not (package / "__pycache__").exists()  # probed bytecode is never written
        assert set(probes.files) == {"probedpkg/__init__.py", "probedpkg/calc.py"}
    finally:
        sys.path.remove(str(tmp_path))
        uninstall(finder)
        for name in ("probedpkg.calc", "probedpkg"):
            sys.modules.pop(name, None)
    assert finder not in sys.meta_path
    uninstall(finder)  # twice: nothing to do


def test_lazy_entries_behave_as_a_mapping() -> None:
    entries = LazyEntries({"a.py": '{"used": {}}'})
    entries["b.py"] = {"used": {"f": [0]}}
    assert len(entries) == 2
    assert list(entries) == ["a.py", "b.py"]
    assert entries["a.py"] == {"used": {}}
    del entries["a.py"]
    assert "a.py" not in entries
    assert dict(entries) == {"b.py": {"used": {"f": [0]}}}


def test_select_by_map_on_unchanged_deleted_and_uncompared_files(tmp_path: Path) -> None:
    source = "def f():\n    return 1\n"
    units = cut_units(source)
    assert units is not None
    entry = {"fingerprint": digest(source), "units": dict(units.fingerprints), "used": {"f": [0]}}
    test_map = TestMap(
        tests=["t.py::test_f", "t.py::test_d"],
        code={"m.py": entry},
        data={"d.json": {"fingerprint": digest(b"{}"), "used": [1]}},
    )
    (tmp_path / "m.py").write_text(source)
    read_text, read_bytes = project_reader(tmp_path)
    assert read_bytes("d.json") is None
    unchanged = select_by_map(test_map, read_text, read_bytes, ["m.py"])
    assert unchanged.hits == ()  # same content; the deleted data file was not a candidate
    (tmp_path / "m.py").unlink()
    gone = select_by_map(test_map, read_text, read_bytes)
    assert [(h.test, h.reason) for h in gone.hits] == [
        ("t.py::test_d", "opened d.json (deleted since recorded)"),
        ("t.py::test_f", "executed m.py (deleted)"),
    ]
    assert gone.unknown == ("m.py",)


def test_the_package_loads_its_names_on_first_use() -> None:
    assert omnicloud.affected.compute_selection.__name__ == "compute_selection"
    assert "compute_selection" in dir(omnicloud.affected)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = omnicloud.affected.nothing


def test_a_module_in_another_encoding_is_probed_as_python_reads_it(tmp_path: Path) -> None:
    raw = "# -*- coding: latin-1 -*-\n\n\ndef sign():\n    return 'é'\n".encode("latin-1")
    (tmp_path / "latin_mod.py").write_bytes(raw)
    probes = Probes(tmp_path)
    finder = install(probes)
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module("latin_mod")
        assert module.sign() == "é"
        assert probes.files["latin_mod.py"][0] == raw  # the bytes git hashes
        assert [probes.keys[i] for i in probes.take()] == [("latin_mod.py", "sign")]
    finally:
        sys.path.remove(str(tmp_path))
        uninstall(finder)
        sys.modules.pop("latin_mod", None)
