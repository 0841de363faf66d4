"""The workflow engine's edges with real processes and a real git repository: unknown workflows
and steps, a step run alone, a command that cannot start or runs too long, a value nobody
published, applications cloned from a repository (a branch, a failed clone, a clone reused),
an application without a folder or its services, and the reports of such runs."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rich.console import Console

from omnicloud.config import Config, parse_config
from omnicloud.errors import SelectionError
from omnicloud.results import TestResult
from omnicloud.workflows.engine import StepResult, WorkflowResult, run_workflow
from omnicloud.workflows.flow import FlowStore, FlowValueMissing
from omnicloud.workflows.report import render_markdown, render_terminal


def _config(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "omnicloud.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return parse_config(path.read_text(encoding="utf-8"), path, environ={})


COMMANDS = """
[workflows.ops]
[[workflows.ops.steps]]
name = "slow"
command = ["sleep", "30"]
timeout = "300ms"
[[workflows.ops.steps]]
name = "ghost"
command = ["/nonexistent/omnicloud-tool"]
[[workflows.ops.steps]]
name = "make"
command = ["sh", "-c", 'echo value=1 > "$OMNICLOUD_FLOW_OUTPUT"']
publishes = ["value"]
[[workflows.ops.steps]]
name = "use"
command = ["true"]
depends_on = ["make"]
consumes = ["value"]
[[workflows.ops.steps]]
name = "after-slow"
command = ["true"]
depends_on = ["slow"]
"""


def test_unknown_workflows_and_steps_are_selection_errors(tmp_path: Path) -> None:
    config = _config(tmp_path, COMMANDS)
    with pytest.raises(SelectionError, match="unknown workflow 'opz'; did you mean 'ops'"):
        run_workflow(config, "opz", results_dir=tmp_path / "results")
    with pytest.raises(SelectionError, match="workflow 'ops' has no step 'slo'; did you mean"):
        run_workflow(config, "ops", results_dir=tmp_path / "results", only_step="slo")


def _by_name(result: WorkflowResult) -> dict[str, tuple[str, str]]:
    return {s.name: (s.status, s.reason) for s in result.steps}


def test_commands_that_cannot_start_run_too_long_or_lack_a_value(tmp_path: Path) -> None:
    config = _config(tmp_path, COMMANDS)
    result = run_workflow(config, "ops", results_dir=tmp_path / "results", environ={})
    steps = _by_name(result)
    assert steps["slow"] == ("failed", "timed out after 0.3s")
    status, reason = steps["ghost"]
    assert status == "unavailable"
    assert reason.startswith("cannot start /nonexistent/omnicloud-tool: ")
    assert steps["make"] == ("passed", "")
    assert steps["use"] == ("passed", "")
    assert steps["after-slow"][0] == "skipped"
    markdown = render_markdown(result)
    assert "| slow | (command) | failed |" in markdown
    assert "| value | make | use | `1` |" in markdown
    out = io.StringIO()
    render_terminal(result, Console(file=out, width=200))
    assert "timed out after 0.3s" in out.getvalue()
    assert "value = 1  (make -> use)" in out.getvalue()
    # The flow file lost (a cleaned results folder): the step alone finds no value.
    (tmp_path / "results" / "workflows" / "ops" / "flow.json").unlink()
    alone = run_workflow(config, "ops", results_dir=tmp_path / "results", only_step="use")
    assert _by_name(alone)["use"] == ("skipped", "needs 'value', which no step published")
    markdown = render_markdown(alone)
    assert "## Data flow" not in markdown  # nothing published in this run
    out = io.StringIO()
    render_terminal(alone, Console(file=out, width=200))
    assert "Data flow" not in out.getvalue()


def test_a_step_run_alone_first_has_no_earlier_state(tmp_path: Path) -> None:
    config = _config(tmp_path, COMMANDS)
    result = run_workflow(config, "ops", results_dir=tmp_path / "results", only_step="ghost")
    assert [s.name for s in result.steps] == ["ghost"]
    assert result.steps[0].status == "unavailable"


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _repository(root: Path) -> Path:
    """A real git repository with a pytest test on branch 'release' only."""
    repo = root / "upstream"
    (repo / "tests").mkdir(parents=True)
    _git("init", "--quiet", "--initial-branch", "main", cwd=repo)
    _git("config", "user.email", "t@example.org", cwd=repo)
    _git("config", "user.name", "t", cwd=repo)
    (repo / "README").write_text("main\n")
    _git("add", ".", cwd=repo)
    _git("commit", "--quiet", "-m", "main", cwd=repo)
    _git("checkout", "--quiet", "-b", "release", cwd=repo)
    (repo / "tests" / "test_release.py").write_text("def test_release():\n    assert True\n")
    _git("add", ".", cwd=repo)
    _git("commit", "--quiet", "-m", "release", cwd=repo)
    _git("checkout", "--quiet", "main", cwd=repo)
    return repo


def test_applications_from_repositories_and_without_folder_or_services(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    config = _config(
        tmp_path,
        f"""
        [applications.released]
        repository = "{repo.as_uri()}"
        ref = "release"
        test_command = "{sys.executable} -m pytest -q -p no:cacheprovider {{tests}}"
        [applications.gone]
        repository = "{(tmp_path / "no-such-repo").as_uri()}"
        [applications.moved]
        path = "apps/moved"
        [applications.needy]
        path = "."
        services = ["redis"]
        [services.redis]
        recipe = "redis"

        [workflows.apps]
        [[workflows.apps.steps]]
        name = "released"
        application = "released"
        tests = "tests"
        [[workflows.apps.steps]]
        name = "gone"
        application = "gone"
        [[workflows.apps.steps]]
        name = "moved"
        application = "moved"
        [[workflows.apps.steps]]
        name = "needy"
        application = "needy"
        """,
    )
    results = tmp_path / "results"
    environ = dict(os.environ)
    steps = _by_name(run_workflow(config, "apps", results_dir=results, environ=environ))
    assert steps["released"] == ("passed", ""), steps["released"]
    assert (results / "workflows" / "apps" / "apps" / "released" / ".git").is_dir()
    status, reason = steps["gone"]
    assert status == "unavailable"
    assert reason.startswith(
        f"application 'gone': cannot clone {(tmp_path / 'no-such-repo').as_uri()}"
    )
    assert steps["moved"] == (
        "unavailable",
        f"application 'moved': folder {tmp_path / 'apps' / 'moved'} does not exist",
    )
    assert steps["needy"][0] == "unavailable"
    assert steps["needy"][1].startswith("application 'needy' needs service(s) redis,")
    # The clone is reused: the upstream may go away and the step still runs.
    subprocess.run(["rm", "-rf", str(repo)], check=True)
    again = run_workflow(config, "apps", results_dir=results, only_step="released", environ=environ)
    assert _by_name(again)["released"] == ("passed", "")


def test_the_flow_store_names_missing_values_and_skips_lines_without_a_key(
    tmp_path: Path,
) -> None:
    store = FlowStore(tmp_path / "flow.json", step="make")
    with pytest.raises(
        FlowValueMissing, match=r"no step has published 'x' \(published: none yet\)"
    ):
        store["x"]
    output = tmp_path / "make.output"
    output.write_text("order=42\njust a log line\n=orphan\n", encoding="utf-8")
    assert store.absorb_output_file(output) == ["order"]
    assert store.get("order") == "42"
    assert store.get("x", "default") == "default"
    with pytest.raises(FlowValueMissing, match=r"\(published: order\)"):
        store["x"]


def test_reports_of_a_run_that_took_no_time_with_a_failed_test_without_message(
    tmp_path: Path,
) -> None:
    failed = TestResult(classname="tests.test_a", name="test_b", outcome="failed")
    step = StepResult("check", "app", "failed", "exit code 1", tests=[failed])
    result = WorkflowResult("w", [step], {}, {}, tmp_path, 0.0)
    markdown = render_markdown(result)
    assert "## Failed tests" in markdown
    assert f"- check: `{failed.test_id}`: " in markdown
    out = io.StringIO()
    render_terminal(result, Console(file=out, width=200))
    assert "exit code 1" in out.getvalue()
