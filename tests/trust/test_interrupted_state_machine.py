"""Ctrl-C during a state-machine test: the run exits at once, not minutes later.

A state machine runs in a worker thread and schedules every provider call on the test's event
loop. Interrupted, the main thread left that loop, and the worker went on waiting 60 s for each
call that nothing would ever run, while the interpreter, at exit, waited for the worker.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hypothesis.stateful import RuleBasedStateMachine, rule
from trust_support import KV_CONFIG, environ, make_repo

from children import spawn
from tck_py.primitives._support import Caller, run_stateful

PROVIDER = """
import asyncio
from pathlib import Path

_tenants = {}


class MarkingKV:
    def __init__(self, tenant_id=None):
        self._data = _tenants.setdefault(tenant_id, {}) if tenant_id else {}

    async def get(self, key):
        if "stateful" in key:  # the state machine's keys: it is running
            Path("machine.started").touch()
        await asyncio.sleep(0.01)
        return self._data.get(key)

    async def set(self, key, value):
        self._data[key] = value

    async def delete(self, key):
        self._data.pop(key, None)
"""


def test_ctrl_c_during_a_state_machine_ends_the_run_promptly(tmp_path: Path) -> None:
    config = KV_CONFIG.replace("scratchkv:ScratchKV", "scratchkv:MarkingKV")
    repo = make_repo(tmp_path / "repo", config, PROVIDER)
    proc = spawn(
        [sys.executable, "-m", "omnicloud", "certify", "--", "-k", "random_operations"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, signalled as a terminal does
        env=environ(PYTHONUNBUFFERED="1"),
    )
    deadline = time.monotonic() + 120
    while not (repo / "machine.started").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the state machine never started"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=40)  # a stuck machine waits 60 s per call
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError("the interrupted run did not exit: its state machine hung") from None
    assert proc.returncode == 130, err
    assert "Traceback" not in err


def test_a_state_machine_whose_loop_stopped_ends_its_thread_promptly() -> None:
    """The case the run above can hit when the interrupt leaves the loop neither running nor
    closed (so nothing cancels the pending calls): the machine's thread must still end."""
    calls: list[float] = []

    class Machine(RuleBasedStateMachine):
        def __init__(self, call: Caller) -> None:
            super().__init__()
            self.call = call

        @rule()
        def step(self) -> None:
            calls.append(self.call(asyncio.sleep(0.01, result=time.monotonic())))
            if len(calls) == 3:  # the machine is under way: interrupt now, whatever the load
                loop.call_soon_threadsafe(loop.stop)

    loop = asyncio.new_event_loop()
    worker = ThreadPoolExecutor(max_workers=1)  # the machine's thread; work queues behind it
    loop.set_default_executor(worker)
    try:
        task = loop.create_task(run_stateful(Machine))
        # The third call stops the loop, as a KeyboardInterrupt leaving run_until_complete
        # would; the timer only keeps a machine that never starts from hanging the test.
        loop.call_later(60, loop.stop)
        loop.run_forever()
        assert calls, "the machine never ran"
        # A stuck call waits CALL_TIMEOUT_S (60 s), and hypothesis would make more of them.
        worker.submit(lambda: None).result(timeout=10)
        assert not task.done()  # nothing reported the abandoned test as passed
        pending = asyncio.all_tasks(loop)
        for leftover in pending:
            leftover.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        assert task.cancelled()
    finally:
        worker.shutdown(wait=False)
        loop.close()
