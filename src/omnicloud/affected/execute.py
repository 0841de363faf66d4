"""``affected --run``: certify exactly the selection through the certify pipeline, then run the
selected plain test files with pytest. An empty selection runs nothing and succeeds."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from omnicloud.affected.gather import AffectedResult
from omnicloud.affected.render import keyword_expression
from omnicloud.errors import ExitCode


def certify_selection(
    result: AffectedResult,
    *,
    config_path: Path | None,
    pytest_args: Sequence[str] = (),
    environment: str | None = None,
    results_dir: Path | None = None,
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
        codes.append(_pytest(result, pytest_args))
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


def _pytest(result: AffectedResult, pytest_args: Sequence[str]) -> int:
    targets: list[str] = []
    for item in result.selection.tests:
        targets.extend(item.tests or (item.name,))
    command = [sys.executable, "-m", "pytest", *targets, *pytest_args]
    print(f"affected: running {len(targets)} plain test target(s) with pytest", flush=True)
    return subprocess.run(command, cwd=result.project_dir, check=False).returncode
