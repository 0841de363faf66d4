"""The certify pipeline: load -> select -> prepare -> check -> provision -> run -> check services,
then teardown -> results -> triage -> report.

Each stage takes the run's state and returns ``None`` to go on or an exit code to stop; a user
error raises an ``OmnicloudError``, which becomes its exit code. The teardown (``state.stack``)
and the final stages run whatever happened before them, shielded from further signals, so a
failed or interrupted run still tears its services down and still writes what it has (marked
INCOMPLETE when it did not finish). docs/guarantees.md states what the result means.
"""

from __future__ import annotations

import fnmatch
import os
import secrets as _random
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from omnicloud.config import Config, find_config, load_config
from omnicloud.console import make_console
from omnicloud.discovery import DiscoveredProvider
from omnicloud.errors import (
    ConfigError,
    ExitCode,
    OmnicloudError,
    ProviderError,
    SelectionError,
    did_you_mean,
    one_of,
)
from omnicloud.plan import Selection, Target, plan_targets, skipped_providers
from omnicloud.redaction import Redactor
from omnicloud.results import Results, load_results
from omnicloud.runner import PYTEST_FAILED, PYTEST_NO_TESTS, PYTEST_OK, RunRequest, TestCounts
from omnicloud.signals import Interrupts, handle_interrupts

if TYPE_CHECKING:
    from omnicloud.provision.lifecycle import Environment
    from omnicloud.resume import ResumePlan
    from omnicloud.run_folder import RunFolder


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + _random.token_hex(3)


@dataclass(frozen=True)
class CertifyOptions:
    config_path: Path | None = None
    selection: Selection = field(default_factory=Selection)
    pytest_args: tuple[str, ...] = ()
    results_dir: Path | None = None
    workers: int | str | None = None
    shard: str | None = None
    executor: str | None = None
    strict: bool | None = None  # certify: --strict/--no-strict, else strict when CI is set
    resume: bool = False  # run only what the last, interrupted run did not finish


@dataclass
class RunState:
    options: CertifyOptions
    console: Console
    stack: ExitStack = field(default_factory=ExitStack)
    run_id: str = field(default_factory=new_run_id)
    config: Config | None = None
    targets: tuple[Target, ...] = ()
    folder: Path | None = None
    junit: Path | None = None
    pytest_exit: int | None = None
    results: Results | None = None
    plugins: list[DiscoveredProvider] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    sat_out: dict[str, str] = field(default_factory=dict)
    environment: Environment | None = None
    services_down: dict[str, list[str]] = field(default_factory=dict)
    interrupted: int | None = None
    run_folder: RunFolder | None = None
    resume: ResumePlan | None = None
    signals: Interrupts | None = None
    redactor: Redactor = field(default_factory=Redactor)
    triaged: dict[str, dict[str, object]] = field(default_factory=dict)  # test id -> triage

    def was_interrupted(self) -> bool:
        """A signal arrived (even one whose KeyboardInterrupt a library swallowed)."""
        return self.signals is not None and self.signals.received is not None

    counts: TestCounts = field(default_factory=TestCounts)


Stage = Callable[[RunState], "int | None"]


def load(state: RunState) -> int | None:
    """Load the configuration and add installed plugin providers; with no configuration file
    at all, installed plugins alone are certified (a generated file names them)."""
    from omnicloud.discovery import discover, merge_discovered

    state.plugins = discover()  # entry points are read once per run
    path = state.options.config_path
    if path is None:
        try:
            path = find_config()
        except ConfigError:
            if not [d for d in state.plugins if d.provider is not None]:
                raise
            path = _discovered_only_config(state)
    state.config = merge_discovered(load_config(path), state.plugins)
    state.redactor.add(config_secrets(state.config))
    return None


def config_secrets(config: Config) -> list[str]:
    """Values marked secret, and every credential inside a URL-shaped value."""
    from omnicloud.redaction import secrets_in

    return [*config.secret_values(), *secrets_in(config.model_dump(mode="python"))]


def _discovered_only_config(state: RunState) -> Path:
    folder = state.options.results_dir or Path("omnicloud-results")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "omnicloud.discovered.toml"
    path.write_text(
        "# written by omnicloud: no omnicloud.toml here; certifying installed\n"
        '# providers of the "omnicloud.providers" entry point group\n'
        '[project]\nname = "installed-providers"\nresults_dir = "."\n',
        encoding="utf-8",
    )
    return path.resolve()


def select(state: RunState) -> int | None:
    assert state.config is not None
    sel = state.options.selection
    origin = "--env"
    if sel.environment is None:
        origin = "OMNICLOUD_ENV" if os.environ.get("OMNICLOUD_ENV") else "default_environment"
        env = os.environ.get("OMNICLOUD_ENV") or state.config.project.default_environment
        sel = Selection(sel.providers, sel.contracts, sel.interfaces, sel.probe, env)
        state.options = CertifyOptions(**{**state.options.__dict__, "selection": sel})
    _check_environment(state.config, sel.environment, origin)
    if state.options.shard:
        from omnicloud.shard.spec import parse_shard

        parse_shard(state.options.shard)  # a bad value is a selection error (exit 3)
    state.targets = plan_targets(state.config, sel)
    state.sat_out = skipped_providers(state.config, sel)
    for name, reason in state.sat_out.items():
        state.console.print(f"note: provider {name} sits out this run: {reason}", highlight=False)
    _check_strict(state)
    if not state.targets:
        wanted = ", ".join((*sel.providers, *sel.contracts, *sel.interfaces)) or "everything"
        raise SelectionError(
            f"no provider in the configuration matches the selection ({wanted})",
            hint="'omnicloud list' shows providers and contracts",
        )
    return None


def _check_environment(config: Config, env: str | None, origin: str) -> None:
    """An environment nobody configured is a selection error, never a run of whatever
    happens to need no environment."""
    if env is None or env in config.environments:
        return
    known = list(config.environments)
    raise SelectionError(
        f"unknown environment '{env}' (from {origin}){did_you_mean(env, known)}"
        f" (accepted: {one_of(known)})",
        hint="environments are the [environments.<name>] tables of the configuration",
    )


def ci_default_strict() -> bool:
    """``certify``'s default: strict when ``CI`` is set (not empty, not 0/false/no)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def is_strict(options: CertifyOptions) -> bool:
    """``--strict`` / ``--no-strict`` as ``certify`` resolved them (other front ends such as
    ``matrix``, which reports what sat out, are not strict unless they say so)."""
    return bool(options.strict)


def _check_strict(state: RunState) -> None:
    """In a strict run every selected provider runs, unless run.allow_sit_out names it."""
    assert state.config is not None
    if not state.sat_out or not is_strict(state.options):
        return
    allowed = state.config.run.allow_sit_out
    refused = {
        name: reason
        for name, reason in state.sat_out.items()
        if not any(fnmatch.fnmatchcase(name, pattern) for pattern in allowed)
    }
    if refused:
        first, reason = next(iter(refused.items()))
        more = (
            f" (and {len(refused) - 1} more: {', '.join(list(refused)[1:])})"
            if len(refused) > 1
            else ""
        )
        raise SelectionError(
            f"provider {first} would sit out this strict run: {reason}{more}",
            hint="choose an environment (--env), or let it sit out with run.allow_sit_out;"
            " --no-strict turns this check off (strict is the default when CI is set)",
        )


def prepare_results(state: RunState) -> int | None:
    """Lock the results folder for this run and open the fresh folder it writes into."""
    from omnicloud.resume import plan_resume
    from omnicloud.run_folder import open_run_folder

    assert state.config is not None
    assert state.config.source is not None
    folder = state.options.results_dir or state.config.project.results_dir
    if not folder.is_absolute():
        folder = (
            Path.cwd() / folder
            if state.options.results_dir
            else (state.config.source.parent / folder)
        )
    suffix = f"-shard-{state.options.shard.replace('/', '-of-')}" if state.options.shard else ""
    state.run_folder = open_run_folder(folder, state.run_id, suffix)
    if state.options.resume:
        state.resume = plan_resume(folder, state.run_folder.junit_name)
    state.folder = state.run_folder.staging
    state.junit = state.folder / state.run_folder.junit_name
    return None


def check_providers(state: RunState) -> int | None:
    """Import every factory and check the contract's shape before any test runs."""
    from omnicloud.build import build_runtime

    assert state.config is not None
    seen: set[str] = set()
    for target in state.targets:
        if target.kind == "interface" and not target.probe:
            build_runtime(state.config, target)  # the interface's methods, before any test
        elif target.kind == "contract" and target.provider not in seen:
            build_runtime(state.config, target)
        seen.add(target.provider)  # interface-only providers too
    _check_plugins(state.config, seen, state.plugins)
    return None


def _check_plugins(config: Config, selected: set[str], plugins: list[DiscoveredProvider]) -> None:
    """Plugin compliance for installed providers that take part in this run."""
    from omnicloud.discovery import check_plugin

    for found in plugins:
        provider = config.providers.get(found.name)
        if found.name not in selected or provider is None or found.provider is None:
            continue
        if provider.factory != found.provider.factory:  # the configuration overrides it
            continue
        problems = check_plugin(found)
        if problems:
            raise ProviderError(
                f"plugin provider '{found.name}' ({found.value}, from"
                f" {found.distribution or 'an unknown distribution'}): {'; '.join(problems)}",
                hint="see docs/plugins.md for what an installed provider must declare",
            )


def provision(state: RunState) -> int | None:
    """Start the services the selected providers need (torn down when the run ends)."""
    from omnicloud.provision.lifecycle import services_for_run

    assert state.config is not None
    if state.options.executor:
        return None  # the executor's pods reach their own services
    providers = {t.provider for t in state.targets}
    state.environment = state.stack.enter_context(
        services_for_run(state.config, providers, environment=state.options.selection.environment)
    )
    if state.environment is not None:
        from omnicloud.provision.kinds import published_credentials
        from omnicloud.redaction import secrets_in

        # A password the configuration sets is added from the configuration itself; the
        # recipes' published defaults (``omnicloud``) are no secret.
        public = published_credentials()
        found = secrets_in(state.environment.endpoints())
        state.redactor.add(s for s in found if s not in public)
    return None


def check_services(state: RunState) -> int | None:
    """After the tests: a service that died during the run (crashed, or stopped by ``env
    down`` from another shell) makes its providers' results an infrastructure failure."""
    from omnicloud.provision.lifecycle import dead_services, services_for

    if state.environment is None or state.config is None:
        return None
    dead = dead_services(state.config, state.environment)
    for service in dead:
        users = sorted(
            {
                t.provider
                for t in state.targets
                if service in services_for(state.config, [t.provider])
            }
        )
        state.services_down[service] = users
    return None


def run_tests(state: RunState) -> int | None:
    from omnicloud.runner import pytest_argv, run_pytest, workers_for

    assert state.config is not None
    assert state.config.source
    assert state.junit
    if state.options.executor:
        return run_on_executor(state)
    resumed = state.resume is not None and bool(state.resume.tests)
    request = RunRequest(
        config_path=state.config.source,
        selection=state.options.selection,
        junit=state.junit.with_suffix(".resumed.xml") if resumed else state.junit,
        workers=workers_for(state.config, state.options.workers),
        dist=state.config.run.dist,
        shard=state.options.shard,
        pytest_args=(*state.config.run.pytest_args, *state.options.pytest_args),
        node_ids=state.resume.tests if state.resume is not None else (),
    )
    state.pytest_exit = run_pytest(pytest_argv(request), state.counts, state.was_interrupted)
    if resumed:
        _merge_resumed(state, request.junit)
    return None


def _merge_resumed(state: RunState, new: Path) -> None:
    """The interrupted run's finished tests plus the resumed ones, as one JUnit."""
    from omnicloud.merge import merge_junit, write_merged

    assert state.resume is not None
    assert state.junit is not None
    parts = [p for p in (state.resume.previous_junit, new) if p is not None and p.is_file()]
    if not parts:
        return
    merged = merge_junit(parts)
    for problem in merged.problems:
        print(f"warning: resume: {problem}", file=sys.stderr)
    write_merged(merged, state.junit)
    new.unlink(missing_ok=True)


def run_on_executor(state: RunState) -> int | None:
    """Run the shards elsewhere (a Kubernetes Indexed Job) and merge their JUnit here."""
    from omnicloud.executors import executor_class
    from omnicloud.merge import write_merged

    assert state.config is not None
    assert state.folder is not None
    assert state.junit is not None
    executor = executor_class(state.options.executor or "")(state.config.executors.kubernetes)
    run = executor.run(results_dir=state.folder, run_id=state.run_id)
    write_merged(run.merge, state.junit)
    failed = any(o in ("failed", "error") for o in run.merge.outcomes.values())
    state.pytest_exit = PYTEST_FAILED if run.merge.problems or failed else PYTEST_OK
    return None


def read_results(state: RunState) -> int | None:
    """Parse the run's JUnit and record its durations for duration-balanced shards."""
    from omnicloud.shard.durations import update_durations
    from omnicloud.shard.junit import durations_from_results

    if state.junit is None or not state.junit.exists():
        return None
    results = load_results([state.junit])
    # pytest writes an empty <testcase/> when a run is interrupted: not a test, not a pass.
    state.results = replace(results, tests=tuple(t for t in results.tests if t.name))
    assert state.config is not None
    assert state.config.source is not None
    from omnicloud.shard.spec import resolve_shard

    if resolve_shard(state.options.shard, os.environ) is not None:
        # Every shard must partition with the same durations: 'omnicloud merge' records them.
        return None
    store = state.config.run.durations
    if not store.is_absolute():
        store = state.config.source.parent / store
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        update_durations(store, durations_from_results(state.results.tests))
    except OSError as exc:
        print(f"warning: durations not recorded in {store}: {exc}", file=sys.stderr)
    return None


def _focus(contracts: tuple[str, ...]) -> tuple[str, ...]:
    """The contracts a session selected (aliases resolved): the table's focus."""
    from omnicloud.contracts import resolve_contract

    return tuple(resolve_contract(c, kind="contract").name for c in contracts)


def report(state: RunState) -> int | None:
    """The table and ``report.json``/``report.md``; a run stopped after its tests started (or
    interrupted) is reported too, marked INCOMPLETE with what ran and what did not."""
    from omnicloud.report.documents import write_documents
    from omnicloud.report.terminal import render_table
    from omnicloud.report.verdicts import untested_targets
    from omnicloud.results import Results

    if state.folder is None or state.config is None or state.run_folder is None:
        return None
    if state.results is None and state.pytest_exit is None and state.interrupted is None:
        return None  # stopped before any test: the previous results stay as they were
    results = state.results or Results()
    status = completeness(state)
    unfinished = status.get("unfinished_targets")
    render_table(
        results,
        state.console,
        title=f"Compliance ({state.config.project.name})",
        probes={(t.provider, t.suite) for t in state.targets if t.probe},
        unfinished=unfinished if isinstance(unfinished, list) else (),
        focus=_focus(state.options.selection.contracts),
        untested=untested_targets(results, state.triaged),
    )
    _render_sat_out(state)
    meta: dict[str, object] = {
        "project": state.config.project.name,
        "run_id": state.run_id,
        "config": str(state.config.source),
        "junit": str(state.run_folder.final / state.run_folder.junit_name),
        "pytest_exit": state.pytest_exit,
        "elapsed": round(time.monotonic() - state.started, 3),
        "environment": state.options.selection.environment,
        "sat_out": dict(state.sat_out),
        "probes": sorted(t.node_name for t in state.targets if t.probe),
        "services_down": dict(state.services_down),
        "triage": state.triaged,  # category and owners of each failure (triage runs first)
        **status,
    }
    if state.resume is not None:
        meta["resumed_from"] = state.resume.run_id
    if state.config.data:
        from omnicloud.data.fingerprint import dataset_fingerprints

        meta["datasets"] = dataset_fingerprints(state.config)
    write_documents(results, meta, state.folder, state.config.secret_values())
    final = state.run_folder.final
    if meta["status"] == "INCOMPLETE":
        state.console.print(f"[bold red]INCOMPLETE[/]: {meta['incomplete_reason']}")
    state.console.print(
        f"JUnit: {final / state.run_folder.junit_name}\n"
        f"Report: {final / 'report.md'}, {final / 'report.json'}",
        highlight=False,
    )
    return None


def completeness(state: RunState) -> dict[str, object]:
    """``status`` (complete / INCOMPLETE), why, and the targets and tests that did not finish."""
    reason = None
    if state.interrupted is not None:
        reason = f"interrupted by {signal.Signals(state.interrupted).name}"
    elif state.pytest_exit is None:
        reason = "the tests did not run"
    elif state.pytest_exit == PYTEST_OK and incompleteness(state) is not None:
        reason = (incompleteness(state) or (0, ""))[1]
    if reason is None:
        return {"status": "complete"}
    unfinished = state.counts.unfinished if state.counts.selected is not None else []
    targets = sorted({n.split("::")[1] for n in unfinished if n.count("::") >= 2})
    if state.counts.selected is None:  # never collected: every planned target is unfinished
        targets = sorted({t.node_name for t in state.targets})
    return {
        "status": "INCOMPLETE",
        "incomplete_reason": reason,
        "unfinished_targets": targets,
        "unfinished_tests": unfinished,
    }


def _render_sat_out(state: RunState) -> None:
    """Providers that were selected but did not run are part of the verdict's table."""
    if not state.sat_out:
        return
    from rich.table import Table

    table = Table(title="Sat out (not certified by this run)", title_justify="left")
    table.add_column("provider")
    table.add_column("reason")
    for name, reason in sorted(state.sat_out.items()):
        table.add_row(name, reason)
    state.console.print(table)


def triage(state: RunState) -> int | None:
    """Classify the failures, route them to owners, update the history; never loses the
    report: a triage problem is printed as a warning after the results are written."""
    from omnicloud.triage.run import triage_results

    if state.results is None or state.folder is None or state.junit is None:
        return None
    try:
        report = triage_results(
            state.config,
            [state.junit],
            state.folder,
            run_id=state.run_id,
            skip={(t.provider, t.suite) for t in state.targets if t.probe},  # no verdict
            results=state.results,  # read once, by read_results
        )
    except OmnicloudError as exc:
        print(f"warning: triage skipped: {exc.message}", file=sys.stderr)
        return None
    state.triaged = {
        i.failure.test_id: {"category": i.category, "owners": list(i.owners)}
        for i in report.failures
    }
    for owner, items in sorted(report.by_owner().items()):
        categories = sorted({i.category for i in items})
        state.console.print(
            f"  {owner}: {len(items)} failure(s) ({', '.join(categories)})", highlight=False
        )
    for error in report.sink_errors:
        print(f"warning: {error}", file=sys.stderr)
    return None


STAGES: tuple[Stage, ...] = (
    load,
    select,
    prepare_results,
    check_providers,
    provision,
    run_tests,
    check_services,
)
#: After the services are down; each runs whatever happened before.
FINAL_STAGES: tuple[Stage, ...] = (read_results, triage, report)


def incompleteness(state: RunState) -> tuple[int, str] | None:
    """Why a run that pytest called a success is not one: it executed no test, or reported
    fewer tests than it selected. ``None`` when complete (or when pytest ran elsewhere)."""
    counts = state.counts
    if counts.selected is None:
        return None
    if not counts.executed:
        return ExitCode.SELECTION, (
            f"no test executed ({len(counts.selected)} selected, {len(counts.reported)}"
            " reported, all skipped or none run): this run certifies nothing"
        )
    unfinished = counts.unfinished
    if unfinished:
        return ExitCode.RESULTS, (
            f"incomplete run: {len(unfinished)} of {len(counts.selected)} selected tests"
            f" reported no result (first: {unfinished[0]})"
        )
    return None


def exit_code(state: RunState) -> int:
    """The run's exit code: infrastructure first, then completeness, then pytest's verdict."""
    for service, users in sorted(state.services_down.items()):
        print(
            f"error: service '{service}' stopped answering during the run: the results of"
            f" {', '.join(users) or 'its providers'} are an infrastructure failure, not a"
            " verdict",
            file=sys.stderr,
        )
    return ExitCode.INFRASTRUCTURE if state.services_down else _pytest_exit_code(state)


def _pytest_exit_code(state: RunState) -> int:
    if state.pytest_exit in (PYTEST_OK,):
        problem = incompleteness(state)
        if problem is not None:
            print(f"error: {problem[1]}", file=sys.stderr)
            return problem[0]
        return ExitCode.OK
    if state.pytest_exit == PYTEST_FAILED:
        return ExitCode.OK if _only_probes_failed(state) else ExitCode.VIOLATIONS
    if state.pytest_exit == PYTEST_NO_TESTS:
        return ExitCode.SELECTION
    if state.results is not None and state.results.failures:
        return ExitCode.VIOLATIONS
    return ExitCode.INFRASTRUCTURE if state.pytest_exit is not None else ExitCode.OK


def _only_probes_failed(state: RunState) -> bool:
    """Every failed test belongs to a --probe target: an undeclared interface is no verdict."""
    probed = {(t.provider, t.suite) for t in state.targets if t.probe}
    failures = state.results.failures if state.results is not None else []
    return (
        bool(probed) and bool(failures) and all((f.provider, f.suite) in probed for f in failures)
    )


def certify(options: CertifyOptions, console: Console | None = None) -> int:
    """Run the certify pipeline; returns the process exit code.

    The stages run until one stops the run; then, shielded from further signals, the services
    are torn down and the results read, triaged and reported, whatever happened before. An
    interrupted run exits 130 and its report says INCOMPLETE.
    """
    state = RunState(options=options, console=console or make_console())
    with handle_interrupts() as interrupts, redacted_output(state.redactor):
        state.signals = interrupts
        try:
            code = _run(state, interrupts)
        except BaseException:
            # An interrupt that a library turned into another exception (or that landed in a
            # callback) is still an interrupt: exit 130, not a traceback.
            if interrupts.received is None:
                raise
            code = ExitCode.INTERRUPTED
    if interrupts.received is not None:
        name = signal.Signals(interrupts.received).name
        print(
            f"interrupted by {name}: services torn down, report marked INCOMPLETE", file=sys.stderr
        )
        return ExitCode.INTERRUPTED
    return code


@contextmanager
def redacted_output(redactor: Redactor) -> Iterator[None]:
    """Everything printed during the run (pytest's terminal, errors, service log tails)
    passes the redactor, which learns the services' secrets as they start."""
    from omnicloud.redaction import RedactingStream

    saved = sys.stdout, sys.stderr
    sys.stdout = RedactingStream(saved[0], redactor)
    sys.stderr = RedactingStream(saved[1], redactor)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdout, sys.stderr = saved


def _run(state: RunState, interrupts: Interrupts) -> int:
    code = _stages(state, interrupts)
    interrupts.shield()  # from here on a signal is recorded, never raised: cleanup completes
    state.interrupted = interrupts.received
    try:
        state.stack.close()  # services down before triage's sinks talk to the network
    except OmnicloudError as exc:
        print(f"warning: teardown: {exc.message}", file=sys.stderr)
    for stage in FINAL_STAGES:
        try:
            stage(state)
        except OmnicloudError as exc:
            print(exc.render(), file=sys.stderr)
            code = exc.exit_code if code is None else code
    if state.run_folder is not None:
        from omnicloud.redaction import redact_tree
        from omnicloud.run_folder import publish, release

        redact_tree(state.run_folder.staging, state.redactor)
        publish(state.run_folder)
        release(state.run_folder)
    return code if code is not None else exit_code(state)


def _stages(state: RunState, interrupts: Interrupts) -> int | None:
    try:
        for stage in STAGES:
            code = stage(state)
            if code is not None:
                return code
            if interrupts.received is not None:  # a library swallowed the KeyboardInterrupt
                return ExitCode.INTERRUPTED
    except OmnicloudError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    return None
