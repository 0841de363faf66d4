"""The per-test map's recorder (a pytest plugin) on a real pytest run: which units each test
executed, in its own thread or another, and what it does when a test replaces the profiler."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from omnicloud.affected.testmap import TestMap, load_map

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


def test_the_recorder_maps_each_test_to_the_units_it_entered(tmp_path: Path) -> None:
    (tmp_path / "src" / "lib").mkdir(parents=True)
    (tmp_path / "src" / "lib" / "__init__.py").write_text("")
    (tmp_path / "src" / "lib" / "m.py").write_text(LIB)
    (tmp_path / "tests").mkdir()
    # identical test bodies in two files: equal code objects that must stay apart
    (tmp_path / "tests" / "test_a.py").write_text(SAME)
    (tmp_path / "tests" / "test_b.py").write_text(SAME)
    (tmp_path / "tests" / "test_other.py").write_text(OTHER)
    (tmp_path / "tests" / "data.txt").write_text("x")
    found, output = record(tmp_path)

    profiles = "tests/test_other.py::test_profiles_itself"
    # (the test that replaced the profiler is on every unit: see the end)
    assert users(found, "tests/test_a.py", "test_same") == ["tests/test_a.py::test_same", profiles]
    assert users(found, "tests/test_b.py", "test_same") == ["tests/test_b.py::test_same", profiles]
    assert users(found, "src/lib/m.py", "f") == sorted(
        ["tests/test_a.py::test_same", "tests/test_b.py::test_same", profiles]
    )
    # g ran in another thread, its generator expression is folded into g
    assert users(found, "src/lib/m.py", "g") == [profiles, "tests/test_other.py::test_thread"]
    assert users(found, "src/lib/m.py", "Box.size") == [
        "tests/test_other.py::test_method_and_data",
        profiles,
    ]
    data = found.data["tests/data.txt"]["used"]
    assert [found.tests[i] for i in data] == ["tests/test_other.py::test_method_and_data"]
    # the test that replaced the profiler is recorded as executing everything, and said so
    assert "1 test(s) replaced the profiler" in output
