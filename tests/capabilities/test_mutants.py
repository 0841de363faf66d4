"""Strictness: every realistic one-bug MemStore variant fails its interface's suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from junitparser import JUnitXml
from mutants import MUTANTS

from tck_py.interfaces.catalog import INTERFACES

HERE = Path(__file__).parent


def _module() -> str:
    lines = ["import sys", f"sys.path.insert(0, {str(HERE)!r})", "import pytest", "import mutants"]
    for name, (interface, _) in MUTANTS.items():
        spec = INTERFACES[interface]
        lines += [
            f"from {spec.suite_module} import {spec.suite_class}",
            f"class Test{name}({spec.suite_class}):",
            "    @pytest.fixture",
            "    def provider_factory(self):",
            "        async def make(**options):",
            f"            return mutants.{name}()",
            "        return make",
        ]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_every_mutant_is_caught(tmp_path: Path) -> None:
    (tmp_path / "test_generated_mutants.py").write_text(_module(), encoding="utf-8")
    junit = tmp_path / "junit.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "test_generated_mutants.py",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            "-o",  # no omnicloud.toml here, so the omnicloud plugin sets no defaults
            "asyncio_default_fixture_loop_scope=function",
            "-W",
            "error",
            "-n",
            "2",
            "-p",
            "no:benchmark",  # pytest-benchmark warns under xdist, and warnings are errors
            f"--junitxml={junit}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert junit.exists(), done.stdout[-2000:] + done.stderr[-2000:]
    failing: dict[str, int] = {}
    for suite in JUnitXml.fromfile(str(junit)):
        for case in suite:
            owner = case.classname.rsplit(".", 1)[-1].removeprefix("Test")
            failing.setdefault(owner, 0)
            if case.result and not all(type(r).__name__ == "Skipped" for r in case.result):
                failing[owner] += 1
    assert set(failing) == set(MUTANTS)
    survivors = [name for name, count in failing.items() if count == 0]
    assert survivors == [], f"not caught by their suites: {survivors}"
