"""Signals and process lifetime for a run that holds services.

* SIGINT, SIGTERM and SIGHUP raise ``KeyboardInterrupt`` once, so every cleanup path runs for
  each of them. Further signals are recorded but raise nothing: a second Ctrl-C or a supervisor's
  SIGTERM during teardown cannot abort the teardown (nox sends SIGTERM after its interrupt
  timeout; a terminal sends SIGINT to the whole process group, services included).
* The run notices when its parent dies (``nox`` killed alone, a closed terminal): on Linux the
  kernel sends SIGTERM (``prctl(PR_SET_PDEATHSIG)``), elsewhere a thread polls the parent pid.
  Either way the run stops as if interrupted and tears its services down.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType

_Stop = Callable[[], None]
HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class Interrupts:
    """Records the interrupting signals; only the first one raises ``KeyboardInterrupt``."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.count = 0
        self.shielded = False

    def shield(self) -> None:
        """From now on signals are only recorded (cleanup that must complete is running)."""
        self.shielded = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        name = signal.Signals(signum).name
        if self.received is None:
            self.received = signum
            if not self.shielded:
                raise KeyboardInterrupt(f"received {name}")
            return
        # Writing to stderr is safe here: this runs between bytecodes of the main thread.
        print(f"omnicloud: {name} again: still cleaning up, please wait", file=sys.stderr)


@contextlib.contextmanager
def handle_interrupts() -> Iterator[Interrupts]:
    """Within the block, the first of SIGINT/SIGTERM/SIGHUP raises KeyboardInterrupt (main
    thread only), later ones are recorded; the parent's death is delivered as SIGTERM."""
    state = Interrupts()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return
    previous = {s: signal.getsignal(s) for s in HANDLED}
    for sig in previous:
        signal.signal(sig, state._handle)
    stop_watch = watch_parent()
    try:
        yield state
    finally:
        stop_watch()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def watch_parent() -> _Stop:
    """Deliver SIGTERM to this process when its parent dies; returns a function that stops
    watching. A parent already gone (reparented before we looked) counts as dead."""
    parent = _original_parent()
    if parent <= 1:  # started by init or a container's pid 1: nobody to outlive
        return _nothing
    if sys.platform.startswith("linux") and _set_parent_death_signal(signal.SIGTERM):
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)
        return _clear_parent_death_signal
    return _poll_parent(parent)


def _nothing() -> None:
    return None


_ORIGINAL_PARENT = os.getppid()


def _original_parent() -> int:
    """The parent when this module was imported (before a possible reparenting)."""
    return _ORIGINAL_PARENT


def _set_parent_death_signal(signum: int) -> bool:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _clear_parent_death_signal() -> None:
    _set_parent_death_signal(0)


def _poll_parent(parent: int, interval: float = 0.5) -> _Stop:
    stopped = threading.Event()

    def watch() -> None:
        while not stopped.wait(interval):
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, name="omnicloud-parent-watch", daemon=True).start()
    return stopped.set
