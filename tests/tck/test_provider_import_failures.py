"""A provider module that raises while it is imported is a provider error (exit 4), whatever
it raises: the message names the provider's key, the module and the exception, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = """
[project]
name = "imports"

[sessions]
venv = "none"

[providers.good-kv]
contract = "kv_store"
factory = "omnicloud.providers.memory.kv:InMemoryKVStore"

[providers.broken-kv]
contract = "kv_store"
factory = "brokenkv:KV"
"""


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("def broken(:\n", "SyntaxError: invalid syntax (brokenkv.py, line 1)"),
        ('raise RuntimeError("no credentials configured")\n', "RuntimeError: no credentials"),
        ("import json\nKV = json.loads('{')\n", "JSONDecodeError: Expecting property name"),
    ],
    ids=["syntax-error", "runtime-error", "error-from-a-library"],
)
def test_any_import_failure_is_exit_four_naming_provider_and_error(
    tmp_path: Path, source: str, error: str
) -> None:
    """Before: only ImportError was a provider error; anything else escaped as a traceback."""
    (tmp_path / "omnicloud.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "brokenkv.py").write_text(source, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "omnicloud", "certify"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 4, done.stdout + done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith(
        "error: providers.broken-kv.factory: importing module 'brokenkv' of 'brokenkv:KV'"
        f" failed: {error}"
    ), first
    assert "Traceback" not in done.stderr


def test_plain_pytest_reports_the_import_failure_in_its_junit(tmp_path: Path) -> None:
    """Through plain ``pytest`` (the plugin), the failure is a collection error whose text, in
    the JUnit report that is still written, names the provider and the exception."""
    (tmp_path / "omnicloud.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "brokenkv.py").write_text("raise RuntimeError('no region')\n", encoding="utf-8")
    junit = tmp_path / "junit.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "omnicloud.toml",
            "-p",
            "no:cacheprovider",
            f"--junitxml={junit}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == pytest.ExitCode.INTERRUPTED, done.stdout
    text = junit.read_text(encoding="utf-8")
    assert "providers.broken-kv.factory: importing module &apos;brokenkv&apos;" in text or (
        "providers.broken-kv.factory: importing module 'brokenkv'" in text
    )
    assert "RuntimeError: no region" in text
