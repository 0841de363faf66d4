"""Run a workflow: steps in dependency order, data flowing between them, a timeline.

A step whose application or services are unavailable is reported with the reason; every step
that depends on it is skipped with that reason; independent steps still run. Each step runs in
its own process group, so a timeout or Ctrl-C leaves no process behind.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from omnicloud.config.models import ApplicationConfig, Config, WorkflowConfig, WorkflowStep
from omnicloud.endpoints import load_endpoints
from omnicloud.errors import ExitCode, SelectionError, did_you_mean, one_of
from omnicloud.results import TestResult, read_junit
from omnicloud.workflows.flow import ENV_FLOW, ENV_OUTPUT, ENV_STEP, FlowStore
from omnicloud.workflows.graph import execution_waves

Status = Literal["passed", "failed", "unavailable", "skipped"]
LOG_TAIL = 4000


@dataclass
class StepResult:
    """What happened to one step."""

    name: str
    application: str | None
    status: Status
    reason: str = ""
    started: float = 0.0
    duration: float = 0.0
    command: list[str] = field(default_factory=list)
    exit_code: int | None = None
    junit: str | None = None
    tests: list[TestResult] = field(default_factory=list)
    published: dict[str, Any] = field(default_factory=dict)
    consumed: dict[str, Any] = field(default_factory=dict)
    log: str = ""


@dataclass
class WorkflowResult:
    """The run of a workflow: each step's result in start order, and the data that flowed."""

    name: str
    steps: list[StepResult]
    flow: dict[str, Any]
    producers: dict[str, str | None]
    folder: Path
    duration: float = 0.0

    def step(self, name: str) -> StepResult:
        return next(s for s in self.steps if s.name == name)

    def exit_code(self) -> int:
        statuses = {s.status for s in self.steps}
        if "failed" in statuses:
            return ExitCode.VIOLATIONS
        if "unavailable" in statuses:
            return ExitCode.INFRASTRUCTURE
        return ExitCode.OK

    def to_dict(self) -> dict[str, Any]:
        steps = []
        for step in self.steps:
            data = asdict(step)
            data["tests"] = [
                {"id": t.test_id, "outcome": t.outcome, "message": t.message} for t in step.tests
            ]
            steps.append(data)
        return {
            "workflow": self.name,
            "duration": round(self.duration, 3),
            "exit_code": self.exit_code(),
            "steps": steps,
            "flow": self.flow,
            "producers": self.producers,
        }


class _Run:
    """State of one workflow run; methods are the per-step stages."""

    def __init__(
        self,
        config: Config,
        name: str,
        workflow: WorkflowConfig,
        folder: Path,
        environ: Mapping[str, str],
    ) -> None:
        self.config = config
        self.name = name
        self.workflow = workflow
        self.folder = folder
        self.environ = dict(environ)
        self.root = config.source.parent if config.source else Path.cwd()
        self.flow = FlowStore(folder / "flow.json")
        self.started = time.monotonic()
        self.results: dict[str, StepResult] = {}
        self.endpoints = load_endpoints(environ)

    # -- availability ------------------------------------------------------------------
    def application_dir(self, name: str, app: ApplicationConfig) -> tuple[Path | None, str]:
        if app.path is not None:
            path = app.path if app.path.is_absolute() else self.root / app.path
            if path.is_dir():
                return path, ""
            return None, f"application '{name}': folder {path} does not exist"
        if app.repository:
            return self.clone(name, app)
        return None, f"application '{name}' has neither path nor repository"

    def clone(self, name: str, app: ApplicationConfig) -> tuple[Path | None, str]:
        target = self.folder / "apps" / name
        if (target / ".git").is_dir():
            return target, ""
        command = ["git", "clone", "--quiet", "--depth", "1"]
        if app.ref:
            command += ["--branch", app.ref]
        assert app.repository is not None
        done = subprocess.run(
            [*command, app.repository, str(target)],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if done.returncode != 0:
            detail = (done.stderr.strip().splitlines() or ["git clone failed"])[-1]
            return None, f"application '{name}': cannot clone {app.repository}: {detail}"
        return target, ""

    def missing_services(self, app: ApplicationConfig) -> list[str]:
        return [s for s in app.services if s not in self.endpoints]

    # -- one step ------------------------------------------------------------------------
    def blocked_by(self, step: WorkflowStep) -> str:
        for dep in step.depends_on:
            result = self.results.get(dep)
            if result is None:
                return (
                    f"depends on '{dep}', which has not run (run session"
                    f" 'workflow-{self.name}-{dep}' first)"
                )
            if result.status != "passed":
                why = f": {result.reason}" if result.reason else ""
                state = {
                    "failed": "failed",
                    "skipped": "was skipped",
                    "unavailable": "was unavailable",
                }[result.status]
                return f"depends on '{dep}', which {state}{why}"
        return ""

    def run_step(self, step: WorkflowStep) -> StepResult:
        result = StepResult(
            step.name, step.application, "skipped", started=time.monotonic() - self.started
        )
        blocked = self.blocked_by(step)
        if blocked:
            result.reason = blocked
            return result
        cwd, argv, env, reason = self.prepare(step, result)
        if reason:
            result.status, result.reason = "unavailable", reason
            return result
        values = self.flow.values()
        missing = [k for k in step.consumes if k not in values]
        if missing:
            result.reason = f"needs {', '.join(repr(k) for k in missing)}, which no step published"
            return result
        result.consumed = {k: values[k] for k in step.consumes}
        for key, value in result.consumed.items():
            env[f"OMNICLOUD_FLOW_{key.upper().replace('-', '_')}"] = str(value)
        self.execute(step, result, argv, cwd, env)
        return result

    def prepare(
        self,
        step: WorkflowStep,
        result: StepResult,
    ) -> tuple[Path, list[str], dict[str, str], str]:
        env = {
            **self.environ,
            ENV_FLOW: str(self.flow.path),
            ENV_STEP: step.name,
            ENV_OUTPUT: str(self.folder / f"{step.name}.output"),
        }
        env.update({k: str(v) for k, v in step.env.items()})
        if step.returns:
            capture: dict[str, dict[str, str]] = {}
            for source, key in step.returns.items():
                test, _, field_name = source.partition(".")
                capture.setdefault(test, {})[field_name] = key
            env["OMNICLOUD_FLOW_CAPTURE"] = json.dumps(capture)
        junit = self.folder / f"{step.name}.junit.xml"
        if step.application is None:
            assert step.command is not None
            command = [self.fill(a, {"junit": str(junit)}) for a in step.command]
            return self.root, command, env, ""
        app = self.config.applications[step.application]
        folder, reason = self.application_dir(step.application, app)
        if folder is None:
            return self.root, [], env, reason
        missing = self.missing_services(app)
        if missing:
            return (
                folder,
                [],
                env,
                (
                    f"application '{step.application}' needs service(s) {', '.join(missing)},"
                    " which the environment does not provide (start them with 'omnicloud env up'"
                    " or run in an environment that has them)"
                ),
            )
        env.update({k: str(v) for k, v in app.env.items()})
        template = (
            shlex.split(app.test_command)
            if isinstance(app.test_command, str)
            else list(app.test_command)
        )
        tests = [step.tests] if isinstance(step.tests, str) else list(step.tests or [])
        joined = " ".join(tests)
        fields = {"junit": str(junit), "path": str(folder), "tests": joined, "test_path": joined}
        argv: list[str] = []
        for arg in template:
            if arg in ("{tests}", "{test_path}"):
                argv.extend(tests)  # one argument per test path
            else:
                argv.append(self.fill(arg, fields))
        if not any("{junit}" in a for a in template) and _runs_pytest(argv):
            argv.append(f"--junitxml={junit}")  # per-test results without asking the user
        result.junit = str(junit)
        return folder, argv, env, ""

    @staticmethod
    def fill(arg: str, fields: Mapping[str, str]) -> str:
        out = arg.replace("{python}", sys.executable)
        for key, value in fields.items():
            out = out.replace("{" + key + "}", value)
        return out

    def execute(
        self,
        step: WorkflowStep,
        result: StepResult,
        argv: list[str],
        cwd: Path,
        env: dict[str, str],
    ) -> None:
        result.command = argv
        output = Path(env[ENV_OUTPUT])
        output.unlink(missing_ok=True)
        log_path = self.folder / f"{step.name}.log"
        began = time.monotonic()
        with open(log_path, "w", encoding="utf-8") as log:
            try:
                process = subprocess.Popen(
                    argv,
                    cwd=cwd,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                result.status, result.reason = "unavailable", f"cannot start {argv[0]}: {exc}"
                return
            try:
                result.exit_code = process.wait(timeout=step.timeout)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                result.exit_code = None
                result.reason = f"timed out after {step.timeout:g}s"
            except BaseException:
                _kill_group(process)
                raise
        result.duration = time.monotonic() - began
        result.log = log_path.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL:]
        self.flow.step = step.name
        self.flow.absorb_output_file(output)
        if result.junit and Path(result.junit).is_file():
            result.tests = read_junit(Path(result.junit))
        elif step.application is not None:
            # A runner without JUnit (npm, go, a script): the step is one test, judged by its
            # exit code, with its output as the evidence.
            tests = step.tests if isinstance(step.tests, str) else " ".join(step.tests or [])
            outcome: Literal["passed", "failed"] = "passed" if result.exit_code == 0 else "failed"
            result.tests = [
                TestResult(
                    classname=step.application,
                    name=tests or step.name,
                    outcome=outcome,
                    duration=result.duration,
                    message="" if outcome == "passed" else f"exit code {result.exit_code}",
                    stdout=result.log,
                )
            ]
        producers = self.flow.producers()
        values = self.flow.values()
        result.published = {k: values[k] for k, s in producers.items() if s == step.name}
        missing = [k for k in step.publishes if producers.get(k) != step.name]
        if result.exit_code == 0 and not missing:
            result.status = "passed"
            return
        result.status = "failed"
        if not result.reason:
            result.reason = (
                f"exit code {result.exit_code}"
                if result.exit_code
                else f"did not publish {', '.join(repr(k) for k in missing)}"
            )


def _runs_pytest(argv: list[str]) -> bool:
    names = [Path(a).name for a in argv[:3]]
    return bool(names) and (names[0] in ("pytest", "py.test") or names[1:3] == ["-m", "pytest"])


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    process.wait()


def run_workflow(
    config: Config,
    name: str,
    *,
    results_dir: Path,
    only_step: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> WorkflowResult:
    """Run workflow ``name`` (or only one of its steps, reusing earlier steps' state)."""
    if name not in config.workflows:
        known = sorted(config.workflows)
        raise SelectionError(
            f"unknown workflow '{name}'{did_you_mean(name, known)} (accepted: {one_of(known)})"
        )
    workflow = config.workflows[name]
    folder = results_dir / "workflows" / name
    folder.mkdir(parents=True, exist_ok=True)
    run = _Run(config, name, workflow, folder, os.environ if environ is None else environ)
    steps = {s.name: s for s in workflow.steps}
    if only_step is None:
        run.flow.path.unlink(missing_ok=True)
        selected = list(steps)
    else:
        if only_step not in steps:
            raise SelectionError(
                f"workflow '{name}' has no step '{only_step}'{did_you_mean(only_step, list(steps))}"
            )
        run.results.update(_load_state(folder, exclude=only_step))
        selected = [only_step]
    waves = execution_waves({s: steps[s].depends_on for s in steps})
    with ThreadPoolExecutor(max_workers=workflow.parallel) as pool:
        for wave in waves:
            todo = [s for s in wave if s in selected]
            for step_name, step_result in zip(
                todo, pool.map(lambda s: run.run_step(steps[s]), todo), strict=True
            ):
                run.results[step_name] = step_result
    order = [s for wave in waves for s in wave if s in run.results]
    result = WorkflowResult(
        name,
        [run.results[s] for s in order],
        run.flow.values(),
        run.flow.producers(),
        folder,
        time.monotonic() - run.started,
    )
    _save_state(folder, result)
    return result


def _save_state(folder: Path, result: WorkflowResult) -> None:
    state = {s.name: {"status": s.status, "reason": s.reason} for s in result.steps}
    (folder / "state.json").write_text(json.dumps(state, indent=2), encoding="utf-8")


def _load_state(folder: Path, *, exclude: str) -> dict[str, StepResult]:
    path = folder / "state.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        name: StepResult(name, None, item["status"], item["reason"])
        for name, item in data.items()
        if name != exclude
    }
