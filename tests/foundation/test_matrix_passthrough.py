"""``omnicloud matrix`` passes pytest's options on (``-n 2``), as ``certify`` does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OMNICLOUD = str(Path(sys.executable).with_name("omnicloud"))


def matrix(*argv: str, results: Path) -> subprocess.CompletedProcess[str]:
    command = [OMNICLOUD, "matrix", "-c", str(ROOT / "omnicloud.toml"), "--provider", "memory-kv"]
    return subprocess.run(
        [*command, "--results-dir", str(results), "--no-certificates", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_matrix_runs_the_suites_on_the_workers_it_is_given(tmp_path: Path) -> None:
    done = matrix("-n", "2", results=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "2 workers" in done.stdout
    assert (tmp_path / "matrix.json").is_file()


def test_a_misspelled_matrix_option_is_still_a_usage_error(tmp_path: Path) -> None:
    done = matrix("--all-row", results=tmp_path)
    assert done.returncode == 2
    assert "did you mean '--all-rows'" in done.stderr
