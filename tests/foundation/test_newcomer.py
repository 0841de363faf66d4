"""A newcomer's first day, through the real entry points: the plugin leaves plain pytest runs
alone, the generated noxfile works with a nox installed apart, piped output ends quietly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

ASYNC_TEST = "async def test_coroutine():\n    pass\n"
KV = """\
class KV:
    def __init__(self, **options):
        self._data = {}

    async def get(self, key):
        return self._data.get(key)

    async def set(self, key, value):
        self._data[key] = value

    async def delete(self, key):
        self._data.pop(key, None)
"""


def clean_env(**extra: str) -> dict[str, str]:
    # A user's shell has none of these; an outer nox run in script mode sets NOX_SCRIPT_MODE=none,
    # which would keep the nox installed apart from preparing the noxfile's own environment.
    prefixes = ("PYTEST_", "OMNICLOUD_", "NOX_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


def run(*argv: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout,
        check=False,
    )  # fmt: skip


def test_without_a_configuration_the_plugin_changes_nothing(tmp_path: Path) -> None:
    """pytest-asyncio stays in its default strict mode when no omnicloud.toml is around."""
    (tmp_path / "test_plain.py").write_text(ASYNC_TEST)
    plain = run(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", cwd=tmp_path)
    assert "mode=Mode.STRICT" in plain.stdout, plain.stdout
    (tmp_path / "omnicloud.toml").write_text(
        '[providers.kv]\ncontract = "kv_store"\nfactory = "omnicloud.providers.memory.kv:'
        'InMemoryKVStore"\n'
    )
    configured = run(
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_plain.py", cwd=tmp_path
    )
    assert "mode=Mode.AUTO" in configured.stdout, configured.stdout
    assert configured.returncode == 0, configured.stdout


def test_piped_output_that_is_cut_short_ends_quietly(tmp_path: Path) -> None:
    """``omnicloud schema | head -1``: no BrokenPipeError traceback."""
    done = subprocess.run(
        f"'{BIN / 'omnicloud'}' schema | head -c 10",
        shell=True, cwd=tmp_path, env=clean_env(), capture_output=True, text=True, check=False,
        timeout=60,
    )  # fmt: skip
    assert len(done.stdout) == 10
    assert "Traceback" not in done.stderr
    assert "BrokenPipeError" not in done.stderr


@pytest.mark.slow
def test_the_generated_noxfile_runs_under_a_nox_installed_apart(tmp_path: Path) -> None:
    """A nox from its own virtualenv (as pipx installs it) runs the generated noxfile: the
    inline script metadata makes nox install omnicloud itself."""
    apart = tmp_path / "nox-apart"
    # A virtualenv of its own; this environment's pip installs into it (``--python``), which
    # spares seeding a pip there (ensurepip: about 5 s of CPU) and leaves the same nox.
    venv.create(apart, with_pip=False)
    install = run(
        sys.executable, "-m", "pip", "--python", str(apart / "bin" / "python"), "install", "-q",
        "nox>=2025.2.9", cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    project = tmp_path / "project"
    (project / "acme").mkdir(parents=True)
    (project / "acme" / "__init__.py").write_text("")
    (project / "acme" / "kv.py").write_text(KV)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    tool = f"open-omni-cloud-tck @ {ROOT.as_uri()}"
    init = run(str(BIN / "omnicloud"), "init", "--tool-source", tool, cwd=project)
    assert init.returncode == 0, init.stderr
    noxfile = (project / "noxfile.py").read_text()
    assert "# /// script" in noxfile
    assert tool in noxfile
    listing = run(str(apart / "bin" / "nox"), "-l", cwd=project, timeout=600)
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert "certify-kv" in listing.stdout
    assert "ModuleNotFoundError" not in listing.stderr


LOSSY_KV = KV.replace(
    "        self._data[key] = value\n",
    "        if len(self._data) < 2:  # broken: drops writes once two keys exist\n"
    "            self._data[key] = value\n",
)


def test_a_failing_state_machine_shows_its_minimal_steps_not_hypothesis_internals(
    tmp_path: Path,
) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "__init__.py").write_text("")
    (tmp_path / "acme" / "kv.py").write_text(LOSSY_KV)
    (tmp_path / "omnicloud.toml").write_text(
        '[project]\nname = "lossy"\n[providers.kv]\ncontract = "kv_store"\nfactory = "acme.kv:KV"\n'
    )
    argv = [str(BIN / "omnicloud"), "certify", "--", "-k", "behaves_like_a_dict"]
    env = clean_env(PYTHONPATH=str(tmp_path))
    short = subprocess.run(
        argv, cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=300
    )
    assert short.returncode == 1, short.stdout + short.stderr
    out = short.stdout
    steps = out.index("State machine: the minimal failing steps hypothesis found")
    assert out.index("state = _KVMachine()") > steps
    assert "site-packages/hypothesis/" not in out
    assert "(the full report: pytest --tb=long)" in out
    # The node id the report gives pastes into pytest as it is and runs exactly that test.
    report = json.loads((tmp_path / "omnicloud-results" / "report.json").read_text())
    node_id = report["violations"][0]["node_id"]
    assert node_id.startswith("omnicloud.toml::kv:kv_store::")
    assert node_id in out  # the terminal lists the same id
    again = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", node_id],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert "1 failed" in again.stdout, again.stdout[-2000:]
    full = subprocess.run(
        [*argv, "--tb=long"], cwd=tmp_path, env=env, capture_output=True, text=True,
        check=False, timeout=300,
    )  # fmt: skip
    assert full.returncode == 1
    assert "hypothesis/" in full.stdout  # on demand, the whole report
    assert len(full.stdout.splitlines()) > len(out.splitlines())


def test_a_wrong_service_url_reads_as_not_tested_not_as_a_contract_violation(
    tmp_path: Path,
) -> None:
    """Every test refused a connection: the summary says the suite could not be tested (a
    configuration or service problem), still a failing run, never 'violates its contract'."""
    (tmp_path / "omnicloud.toml").write_text(
        '[project]\nname = "badurl"\n[providers.rkv]\ncontract = "kv_store"\n'
        'factory = "omnicloud.providers.redis:create_kv_store"\n'
        'options = { url = "redis://127.0.0.1:1/0" }\n'
    )
    done = run(str(BIN / "omnicloud"), "certify", "--", "-x", cwd=tmp_path, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 suite(s) could not be tested" in done.stdout
    assert "violate their contract" not in done.stdout
    report = (tmp_path / "omnicloud-results" / "report.md").read_text()
    assert "**ERROR** (not tested: infrastructure or setup)" in report
