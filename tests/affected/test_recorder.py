"""The per-test map's recorder (a pytest plugin) on a real pytest run: which units each test
executed, in its own thread or another, and what it does when a test replaces the profiler."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from omnicloud.affected.testmap import TestMap, load_map, select_by_map

LIB = """\
import threading

LIMIT = 3


def f():
    return 1


def g():
    return sum(x for x in range(LIMIT))


def in_thread():
    out = []
    worker = threading.Thread(target=lambda: out.append(g()))
    worker.start()
    worker.join()
    return out[0]


class Box:
    def size(self):
        return len([n for n in range(LIMIT)])
"""

SAME = """\
from lib.m import f


def test_same():
    assert f() == 1
"""

OTHER = """\
import cProfile
from pathlib import Path

from lib.m import Box, in_thread


def test_thread():
    assert in_thread() == 3


def test_method_and_data():
    assert Box().size() == 3
    assert (Path(__file__).parent / "data.txt").read_text() == "x"


def test_profiles_itself():
    cProfile.Profile().runcall(sum, [1])
"""


def record(root: Path) -> tuple[TestMap, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(root / "src")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-p", "no:xdist", "-o", "addopts=", "-p", "omnicloud.affected.recorder",
         "--omnicloud-record-map", "map.json", "tests"],
        cwd=root, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    found = load_map(root / "map.json")
    assert found is not None
    return found, done.stdout


def users(test_map: TestMap, path: str, unit: str) -> list[str]:
    return sorted(test_map.tests[i] for i in test_map.code[path]["used"].get(unit, []))


def make_project(root: Path) -> None:
    (root / "src" / "lib").mkdir(parents=True)
    (root / "src" / "lib" / "__init__.py").write_text("")
    (root / "src" / "lib" / "m.py").write_text(LIB)
    (root / "tests").mkdir()
    (root / "tests" / "test_a.py").write_text(SAME)
    (root / "tests" / "test_b.py").write_text(SAME)
    (root / "tests" / "test_other.py").write_text(OTHER)
    (root / "tests" / "data.txt").write_text("x")


def test_the_recorder_maps_each_test_to_the_blocks_it_entered(tmp_path: Path) -> None:
    make_project(tmp_path)
    found, output = record(tmp_path)

    same = ["tests/test_a.py::test_same", "tests/test_b.py::test_same"]
    assert users(found, "src/lib/m.py", "f") == same
    # g ran in another thread; its generator expression is part of g's block
    assert users(found, "src/lib/m.py", "g") == ["tests/test_other.py::test_thread"]
    assert users(found, "src/lib/m.py", "Box.size") == ["tests/test_other.py::test_method_and_data"]
    # a test that profiles itself does not blind the recording (probes are not a profiler)
    assert users(found, "src/lib/m.py", "in_thread") == ["tests/test_other.py::test_thread"]
    # test modules are pytest's (assertion rewriting): judged by their diff, not probed
    assert "tests/test_a.py" not in found.code
    assert set(found.test_files) == {"tests/test_a.py", "tests/test_b.py", "tests/test_other.py"}
    data = found.data["tests/data.txt"]["used"]
    assert [found.tests[i] for i in data] == ["tests/test_other.py::test_method_and_data"]
    assert "blocks probed in 2 project files, 5 tests recorded" in output
    # probed code is compiled in memory: no probed bytecode is left for a later plain import
    assert not list((tmp_path / "src" / "lib").glob("__pycache__/m.*.pyc"))


SHARED = '''\
"""Imported by conftest.py, before any test module: probed all the same."""


def build():
    return {"a": 1}


TABLE = build()  # runs at import, outside any test


def early(x):
    """Kept: the probe goes after a docstring."""
    if x:
        return 1
    return 2


def make_resource():
    return "res"
'''

CONFTEST = """\
import pytest

from lib.k import make_resource


@pytest.fixture(scope="session")
def resource():
    return make_resource()
"""

TESTS_K = """\
from lib.k import TABLE, early


def test_first(resource):
    assert resource == "res"


def test_second(resource):
    assert resource == "res"


def test_early():
    assert early(1) == 1
    assert early.__doc__.startswith("Kept")


def test_late():
    assert early(0) == 2


def test_table():
    assert TABLE == {"a": 1}
"""


def test_blocks_shared_fixtures_and_import_time_code(tmp_path: Path) -> None:
    (tmp_path / "src" / "lib").mkdir(parents=True)
    (tmp_path / "src" / "lib" / "__init__.py").write_text("")
    (tmp_path / "src" / "lib" / "k.py").write_text(SHARED)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text(CONFTEST)
    (tmp_path / "tests" / "test_k.py").write_text(TESTS_K)
    found, _ = record(tmp_path)

    path = "src/lib/k.py"
    # a session fixture's setup counts for every test using it, not only the first
    assert users(found, path, "make_resource") == ["tests/test_k.py::test_first",
                                                   "tests/test_k.py::test_second"]  # fmt: skip
    # blocks, not functions: the early return and the rest are apart
    assert users(found, path, "early") == [
        "tests/test_k.py::test_early",
        "tests/test_k.py::test_late",
    ]
    assert users(found, path, "early@1b") == ["tests/test_k.py::test_early"]
    assert users(found, path, "early+2") == ["tests/test_k.py::test_late"]
    # build ran at import only: no test is said to use it, the map marks it as run outside
    assert users(found, path, "build") == []
    assert found.code[path]["outside"] == ["build"]
    assert "conftest.py" not in " ".join(found.code)

    source = SHARED.replace('{"a": 1}', '{"a": 2}')
    picked = select_by_map(found, lambda p: source if p == path else None, lambda p: None, [path])
    assert picked.hits == ()
    assert picked.unknown == (path,)  # what it built at import is anyone's: the import graph
    source = SHARED.replace("return 2", "return 3")
    picked = select_by_map(found, lambda p: source if p == path else None, lambda p: None, [path])
    assert [(h.test, h.reason) for h in picked.hits] == [
        ("tests/test_k.py::test_late", f"executed a block of early in {path} (changed)")
    ]
    assert picked.unknown == ()


EDGES = """\
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def test_opens_what_is_no_data():
    (HERE.parent / ".omnicloud").mkdir(exist_ok=True)
    (HERE.parent / ".omnicloud" / "x.txt").write_text("tool state")
    assert (HERE.parent / ".omnicloud" / "x.txt").read_text() == "tool state"
    with pytest.raises(FileNotFoundError):
        open(HERE / "missing.txt")
    with pytest.raises(IsADirectoryError):
        open(HERE)
    assert (HERE / "data.txt").read_text() == "x"
    assert (HERE / "data.txt").read_text() == "x"  # twice: once in the map


def test_removes_its_own_file():
    Path(__file__).unlink()
"""


def test_what_the_recorder_leaves_out(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_edges.py").write_text(EDGES)
    (tmp_path / "tests" / "data.txt").write_text("x")
    found, _ = record(tmp_path)
    # tool folders, missing files and folders are no data; a data file read twice is one entry
    assert set(found.data) == {"tests/data.txt"}
    assert found.data["tests/data.txt"]["used"] == [0]
    # a test file gone by the end of the run has no fingerprint (a later change re-runs it)
    assert found.test_files == {}
    assert found.code == {}


def test_the_plugin_without_its_options_records_nothing(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_one.py").write_text("def test_one():\n    pass\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-p", "no:xdist", "-o", "addopts=", "-p", "omnicloud.affected.recorder", "tests"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "omnicloud map" not in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tests"]
