"""Composable readiness strategies sharing one timeout, interval and set of retryable errors.

A check is a small object with ``describe()`` and ``check(target)``: it returns when the service
is ready and raises a retryable error when not yet. ``wait_ready`` polls every check in order
until all pass, the process dies, or the timeout expires; a timeout raises ``ProvisionTimeout``
naming the service, the config key, the last error and the tail of the service log.
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from omnicloud.config.models import ReadyConfig
from omnicloud.errors import InfrastructureError

LOG_TAIL_LINES = 20


class NotReady(Exception):
    """A check ran and the service is not ready yet (always retryable)."""


#: Errors that mean "not yet": connection refused/reset, timeouts, partial protocol answers.
RETRYABLE: tuple[type[BaseException], ...] = (NotReady, OSError, EOFError)


class ProvisionFailed(InfrastructureError):
    """A service could not be started; the message carries the tail of its log."""


class ProvisionTimeout(ProvisionFailed):
    """A service did not become ready in time."""


@dataclass(frozen=True)
class ReadyTarget:
    """What checks look at: where the service listens and where its log is."""

    service: str
    host: str
    port: int
    fields: Mapping[str, Any] = field(default_factory=dict)
    log_path: Path | None = None
    #: Reads the log when it is not a file (a container's log); defaults to ``log_path``.
    log_reader: Callable[[], str] | None = None

    def log(self) -> str:
        return self.log_reader() if self.log_reader is not None else read_log(self.log_path)


class ReadyCheck(Protocol):
    def describe(self) -> str: ...

    def check(self, target: ReadyTarget) -> None: ...


@dataclass(frozen=True)
class TCPCheck:
    """The port accepts a TCP connection."""

    connect_timeout: float = 1.0

    def describe(self) -> str:
        return "tcp"

    def check(self, target: ReadyTarget) -> None:
        with socket.create_connection((target.host, target.port), self.connect_timeout):
            pass


@dataclass(frozen=True)
class CommandCheck:
    """A command exits 0 (``{host}`` and ``{port}`` are filled in)."""

    argv: tuple[str, ...]

    def describe(self) -> str:
        return f"command {' '.join(self.argv)}"

    def check(self, target: ReadyTarget) -> None:
        argv = [
            a.replace("{host}", target.host).replace("{port}", str(target.port)) for a in self.argv
        ]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
        if done.returncode != 0:
            raise NotReady(f"{argv[0]} exited {done.returncode}: {done.stderr.strip()[-200:]}")


@dataclass(frozen=True)
class HTTPCheck:
    """A URL (or a path on the service) answers 2xx."""

    url: str

    def describe(self) -> str:
        return f"http {self.url}"

    def check(self, target: ReadyTarget) -> None:
        url = self.url if "://" in self.url else f"http://{target.host}:{target.port}{self.url}"
        # urllib raises HTTPError for every answer outside 2xx (redirects followed first).
        try:
            with urllib.request.urlopen(url, timeout=2):
                pass
        except urllib.error.HTTPError as exc:
            raise NotReady(f"HTTP {exc.code} from {url}") from None


@dataclass(frozen=True)
class LogCheck:
    """The service log shows a line matching a regular expression."""

    pattern: str

    def describe(self) -> str:
        return f"log /{self.pattern}/"

    def check(self, target: ReadyTarget) -> None:
        text = target.log()
        if not re.search(self.pattern, text, re.MULTILINE):
            raise NotReady(f"log has no line matching /{self.pattern}/ yet")


def checks_for(ready: ReadyConfig, recipe: str | None) -> list[ReadyCheck]:
    """The checks a ``ready`` table asks for, in a cheap-first order."""
    checks: list[ReadyCheck] = []
    if ready.tcp:
        checks.append(TCPCheck())
    if ready.log:
        checks.append(LogCheck(ready.log))
    if ready.ping:
        checks.append(_protocol_ping(recipe))
    if ready.http:
        checks.append(HTTPCheck(ready.http))
    if ready.command:
        checks.append(CommandCheck(tuple(ready.command)))
    return checks or [TCPCheck()]


def _protocol_ping(recipe: str | None) -> ReadyCheck:
    from omnicloud.provision.kinds import all_kinds, get_kind  # kinds import this module

    kind = get_kind(recipe) if recipe else None
    if kind is None or kind.ping is None:
        with_ping = ", ".join(k.name for k in all_kinds() if k.ping is not None)
        raise InfrastructureError(
            f"'ping' readiness needs a recipe with a protocol ping ({with_ping}), got {recipe!r}",
            hint="use tcp, http, command or log instead",
        )
    return kind.ping


def read_log(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def log_tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    return "\n".join(text.splitlines()[-lines:])


@dataclass(frozen=True)
class Deadline:
    """Shared timing of a wait: total timeout and poll interval."""

    timeout: float
    interval: float
    key: str


def wait_ready(
    target: ReadyTarget,
    checks: list[ReadyCheck],
    deadline: Deadline,
    alive: Callable[[], str | None] = lambda: None,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Poll until every check passes; return the seconds waited.

    ``alive`` returns a reason when the service has died, which fails at once instead of
    waiting for the timeout.
    """
    start = time.monotonic()
    last_error = "no check ran"
    while True:
        died = alive()
        if died is not None:
            raise failure(
                ProvisionFailed, target, f"{died} before it was ready", last_error, deadline.key
            )
        try:
            for check in checks:
                try:
                    check.check(target)
                except RETRYABLE as exc:
                    raise NotReady(f"{check.describe()}: {exc or type(exc).__name__}") from None
            return time.monotonic() - start
        except NotReady as exc:
            last_error = str(exc)
        if time.monotonic() - start >= deadline.timeout:
            raise failure(
                ProvisionTimeout,
                target,
                f"not ready after {deadline.timeout:g}s",
                last_error,
                deadline.key,
            )
        sleep(deadline.interval)


def failure(
    kind: type[ProvisionFailed], target: ReadyTarget, what: str, last_error: str, key: str
) -> ProvisionFailed:
    tail = log_tail(target.log())
    where = f" ({target.log_path})" if target.log_path else ""
    message = f"service '{target.service}' {what} [{key}]; last error: {last_error}"
    if tail:
        message += f"\n--- last lines of its log{where} ---\n{tail}"
    return kind(message, hint=f"raise {key} if the service is just slow, or read its log")
