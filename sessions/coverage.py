"""``nox -s coverage``: the test suite under coverage.py, subprocesses included.

Much of omnicloud runs in subprocesses of the tests (``omnicloud certify`` and the pytest runs
of the suites, xdist workers), which in-process measurement cannot see. coverage.py's
``patch = ["subprocess"]`` (``[tool.coverage.run]`` in pyproject.toml) starts measurement in
every Python subprocess of this environment; the data files are combined, then reported per
package against the floors below (seed 004). ``--floors-only`` skips the run and checks the
last combined data again.
"""

from __future__ import annotations

import os

import nox

from _common import BYTECODE_CACHES, ROOT, install_dev
from omnicloud.nox_sessions import venv_backend

#: Seed 004's floors: line coverage (branches too where the measurement includes them).
FLOORS = {
    "src/omnicloud/workflows/*": 90,
    "src/omnicloud/provision/*": 100,
    "src/omnicloud/affected/*": 100,
}
PACKAGES = (
    "affected", "capabilities", "ci", "cli", "config", "data", "executors", "provision",
    "pytest_plugins", "report", "results", "shard", "triage", "workflows",
)  # fmt: skip


@nox.session(venv_backend=venv_backend(), reuse_venv=True, tags=["dev"], default=False)
def coverage(session: nox.Session) -> None:
    """Measure the suite's coverage (subprocesses too), report per package, check the floors."""
    install_dev(session)
    data = ROOT / ".coverage"
    session.env["COVERAGE_FILE"] = str(data)
    if "--floors-only" not in session.posargs:
        session.run("coverage", "erase")
        workers = os.environ.get("OMNICLOUD_TEST_WORKERS", "auto")
        args = session.posargs or ["-n", workers, "--dist", "loadgroup", "tests"]
        session.run(
            "coverage", "run", "-m", "pytest", *args, success_codes=[0, 1], env=BYTECODE_CACHES
        )
        session.run("coverage", "combine", "--quiet")
    for package in PACKAGES:
        session.run(
            "coverage", "report", "--format=total", f"--include=src/omnicloud/{package}/*",
            silent=False, success_codes=[0, 2],
        )  # fmt: skip
    session.run("coverage", "report", "--skip-covered", "--sort=cover")
    failed = []
    for pattern, floor in FLOORS.items():
        try:
            session.run(
                "coverage", "report", f"--include={pattern}", f"--fail-under={floor}",
                "--format=total",
            )  # fmt: skip
        except nox.command.CommandFailed:
            failed.append(f"{pattern} < {floor} %")
    if failed:
        session.error("coverage floors not met: " + "; ".join(failed))
