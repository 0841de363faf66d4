"""``omnicloud workflow``: run cross-application workflows (what workflow-* sessions call)."""

from __future__ import annotations

import argparse

NAME = "workflow"
HELP = "run a cross-application workflow, or list them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("run", "list"))
    parser.add_argument("workflow", nargs="?", help="workflow name (for run)")
    parser.add_argument(
        "--step",
        default=None,
        help="run only this step (earlier steps' state and data are read from the last run)",
    )
    parser.add_argument("--results-dir", default=None, help="default: project.results_dir")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from omnicloud.config import load_config
    from omnicloud.console import make_console
    from omnicloud.errors import SelectionError
    from omnicloud.workflows.engine import run_workflow
    from omnicloud.workflows.report import render_terminal, write_reports

    config = load_config(args.config)
    if args.action == "list":
        for name, workflow in config.workflows.items():
            steps = " -> ".join(s.name for s in workflow.steps)
            print(f"{name:24} {workflow.description}  [{steps}]")
        return 0
    if not args.workflow:
        raise SelectionError(
            "'omnicloud workflow run' needs a workflow name",
            hint="'omnicloud workflow list' shows them",
        )
    assert config.source is not None
    results = Path(args.results_dir) if args.results_dir else config.project.results_dir
    if not results.is_absolute():
        results = config.source.parent / results
    result = run_workflow(config, args.workflow, results_dir=results, only_step=args.step)
    render_terminal(result, make_console())
    for path in write_reports(result, config.secret_values()):
        print(f"wrote {path}")
    return result.exit_code()
