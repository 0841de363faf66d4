"""The certify pipeline: load -> select -> prepare -> check -> provision -> run -> check services,
then teardown -> results -> triage -> report.

Each stage takes the run's state and returns ``None`` to go on or an exit code to stop; a user
error raises an ``OmnicloudError``, which becomes its exit code. The teardown (``state.stack``)
and the final stages run whatever happened before them, shielded from further signals, so a
failed or interrupted run still tears its services down and still writes what it has (marked
INCOMPLETE when it did not finish). docs/guarantees.md states what the result means.

One module per stage (or pair of stages): ``configuration`` (load), ``selection`` (select),
``preparation`` (prepare_results, check_providers), ``services`` (provision, check_services),
``execution`` (run_tests), ``reading`` (read_results), ``triaging`` (triage), ``reporting``
(report) and ``verdict`` (the exit code); ``state`` holds what they hand on. This module runs
them; every name below is importable from ``omnicloud.pipeline``.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from omnicloud.console import make_console
from omnicloud.errors import ExitCode, OmnicloudError
from omnicloud.pipeline.configuration import config_secrets, load
from omnicloud.pipeline.execution import run_on_executor, run_tests
from omnicloud.pipeline.preparation import check_providers, prepare_results
from omnicloud.pipeline.reading import read_results
from omnicloud.pipeline.reporting import completeness, report
from omnicloud.pipeline.selection import ci_default_strict, is_strict, select
from omnicloud.pipeline.services import check_services, provision
from omnicloud.pipeline.state import CertifyOptions, RunState, Stage, new_run_id
from omnicloud.pipeline.triaging import triage
from omnicloud.pipeline.verdict import exit_code, incompleteness
from omnicloud.redaction import Redactor
from omnicloud.signals import Interrupts, handle_interrupts

__all__ = [
    "FINAL_STAGES",
    "STAGES",
    "CertifyOptions",
    "RunState",
    "Stage",
    "certify",
    "check_providers",
    "check_services",
    "ci_default_strict",
    "completeness",
    "config_secrets",
    "exit_code",
    "incompleteness",
    "is_strict",
    "load",
    "new_run_id",
    "prepare_results",
    "provision",
    "read_results",
    "redacted_output",
    "report",
    "run_on_executor",
    "run_tests",
    "select",
    "triage",
]


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
    try:
        code = _stages(state, interrupts)
    except BaseException:
        # A crash (a bug, not an interrupt): its traceback is shown, but the services go first.
        interrupts.shield()
        state.stack.close()
        raise
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
    except BaseException:
        # Whatever the interrupt became on its way out (a KeyboardInterrupt, or pytest's own
        # error about an exception the interrupt left unraisable): the run was interrupted,
        # and the services, results and report still follow.
        if interrupts.received is None:
            raise
        return ExitCode.INTERRUPTED
    return None
