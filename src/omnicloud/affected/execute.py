"""``affected --run``: certify exactly the selection through the certify pipeline, then run the
selected plain test files with pytest. An empty selection runs nothing and succeeds.

Plain test files run in the project's own environment, never omnicloud's: its nox session
(``--session``), the interpreter the user names (``--python``), else the project's virtualenv
(``.venv``, ``venv``), and only then the current interpreter, saying so. The project's source
roots (``src``...) come first on ``PYTHONPATH``, so the working tree's code is what is tested even
where an installed copy of the package exists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from omnicloud.affected.gather import AffectedResult
from omnicloud.affected.render import keyword_expression
from omnicloud.errors import ConfigError, ExitCode

#: Where a project's own virtualenv interpreter usually is, relative to the project.
VENV_PYTHONS = (".venv/bin/python", "venv/bin/python", ".venv/Scripts/python.exe")


@dataclass(frozen=True)
class Runner:
    """How plain tests run: the command prefix and, for the output, why this one."""

    command: tuple[str, ...]
    why: str
    nox: bool = False


def choose_runner(
    project_dir: Path, *, python: str | None = None, session: str | None = None
) -> Runner:
    """``--session`` > ``--python`` > the project's virtualenv > this interpreter."""
    if session:
        nox = shutil.which("nox")
        command = (nox,) if nox else (sys.executable, "-m", "nox")
        return Runner((*command, "-s", session, "--"), f"nox session '{session}'", nox=True)
    if python:
        found = shutil.which(python) or (python if Path(python).is_file() else None)
        if found is None:
            raise ConfigError(
                f"--python {python}: no such interpreter",
                hint="name the project's interpreter, e.g. --python .venv/bin/python",
            )
        return Runner((found, "-m", "pytest"), f"--python {python}")
    for candidate in VENV_PYTHONS:
        path = project_dir / candidate
        if path.is_file():
            return Runner((str(path), "-m", "pytest"), f"the project's virtualenv {candidate}")
    return Runner(
        (sys.executable, "-m", "pytest"),
        f"omnicloud's interpreter {sys.executable} (no --python, --session or .venv in the"
        " project: pass one to test with the project's own environment)",
    )


def source_path(project_dir: Path, roots: Sequence[str], environ: Mapping[str, str]) -> str:
    """``PYTHONPATH`` with the project's existing source roots first."""
    first = [
        str((project_dir / r).resolve()) for r in roots if r != "." and (project_dir / r).is_dir()
    ]
    rest = [p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return os.pathsep.join(dict.fromkeys([*first, *rest]))


def certify_selection(
    result: AffectedResult,
    *,
    config_path: Path | None,
    pytest_args: Sequence[str] = (),
    environment: str | None = None,
    results_dir: Path | None = None,
    runner: Runner | None = None,
    source_roots: Sequence[str] = ("src",),
) -> int:
    """Run what ``result`` selected; the exit code is the worst of the runs."""
    selection = result.selection
    if selection.empty:
        print("affected: nothing to run; exiting 0")
        return ExitCode.OK
    codes = []
    if selection.providers:
        codes.append(_certify(result, config_path, pytest_args, environment, results_dir))
    if selection.tests:
        runner = runner or choose_runner(result.project_dir)
        codes.append(_pytest(result, pytest_args, runner, source_roots))
    return max(codes)


def provider_pytest_args(result: AffectedResult, pytest_args: Sequence[str]) -> tuple[str, ...]:
    """The user's pytest arguments plus the ``-k`` narrowing of test-level selection."""
    args = list(pytest_args)
    expression = keyword_expression(result.selection)
    if expression is None:
        return tuple(args)
    if "-k" in args:
        at = args.index("-k")
        if at + 1 < len(args):
            args[at + 1] = f"({args[at + 1]}) and ({expression})"
            return tuple(args)
    return (*args, "-k", expression)


def _certify(
    result: AffectedResult,
    config_path: Path | None,
    pytest_args: Sequence[str],
    environment: str | None,
    results_dir: Path | None,
) -> int:
    # the pipeline (rich, pytest runner) loads only when something runs
    from omnicloud.pipeline import CertifyOptions, certify
    from omnicloud.plan import Selection as PlanSelection

    names = tuple(item.name for item in result.selection.providers)
    options = CertifyOptions(
        config_path=config_path,
        selection=PlanSelection(providers=names, environment=environment),
        pytest_args=provider_pytest_args(result, pytest_args),
        results_dir=results_dir,
    )
    return certify(options)


def _pytest(
    result: AffectedResult, pytest_args: Sequence[str], runner: Runner, roots: Sequence[str]
) -> int:
    targets: list[str] = []
    for item in result.selection.tests:
        targets.extend(item.tests or (item.name,))
    command = [*runner.command, *targets, *pytest_args]
    print(f"affected: running {len(targets)} plain test target(s) with {runner.why}", flush=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = source_path(result.project_dir, roots, os.environ)
    return subprocess.run(command, cwd=result.project_dir, env=env, check=False).returncode
