"""An in-process run keeps what collection built out of the garbage collector, and gives it back.

``run_pytest`` (``omnicloud certify``, ``matrix`` and the Python API) freezes the objects alive
after collection (``gc.freeze``): the run's garbage collections no longer walk pytest, the suites
and hypothesis again. When pytest returns they are unfrozen, since a Python API caller goes on;
a caller that froze objects itself is left as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE_TEST = """
import gc, json, os

def test_records_the_freeze_count():
    with open(os.environ["PROBE_OUT"], "w") as out:
        json.dump(gc.get_freeze_count(), out)
"""

DRIVER = """
import gc, json, sys
from omnicloud.runner import run_pytest

if sys.argv[1] == "caller-froze":
    gc.freeze()
before = gc.get_freeze_count()
code = run_pytest(["-q", "-p", "no:cacheprovider", "-p", "no:omnicloud", "test_probe.py"])
print(json.dumps({"code": code, "before": before, "after": gc.get_freeze_count()}))
"""


def _drive(tmp_path: Path, mode: str) -> tuple[dict[str, int], int]:
    (tmp_path / "test_probe.py").write_text(PROBE_TEST)
    probe = tmp_path / "during.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "OMNICLOUD_"))}
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, mode], cwd=tmp_path, env={**env, "PROBE_OUT": str(probe)},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result, json.loads(probe.read_text())


def test_the_run_freezes_what_collection_built_and_unfreezes_it_after(tmp_path: Path) -> None:
    result, during = _drive(tmp_path, "plain")
    assert result["code"] == 0
    assert result["before"] == 0
    assert during > 5000  # modules, classes and functions of pytest and the collected tests
    assert result["after"] == 0  # the caller's collector sees everything again


def test_a_caller_that_froze_objects_itself_is_left_as_it_was(tmp_path: Path) -> None:
    result, during = _drive(tmp_path, "caller-froze")
    assert result["code"] == 0
    assert result["before"] > 0
    # Nothing more frozen by the run (a freeze adds every object collection built: thousands,
    # as the first test shows), nothing of the caller's unfrozen; the count drifts by the few
    # frozen objects that die or are untracked meanwhile.
    assert abs(during - result["before"]) < 500
    assert abs(result["after"] - result["before"]) < 500
