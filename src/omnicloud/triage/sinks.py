"""Where triage reports go: local files first, always, then remote sinks.

Local: ``triage.json`` and ``triage.md`` for the whole run and ``owners/<owner>.{md,json}`` for
each owner, each written atomically. Remote sinks are one module-level class each behind the
``Sink`` protocol, chosen by name from ``SINKS``:

* ``github``: one issue per failure fingerprint, found again through a marker in its body
  (``<!-- omnicloud-fingerprint: ... -->``), so re-runs update instead of duplicating; labelled
  by category; a regressed failure reopens its issue.
* ``webhook``: one JSON POST of the whole report, with a timeout and retries.

Tokens come from the environment and never appear in errors, logs or reports. A sink that fails
does not lose anything: the local report is already written and the failure is returned as text.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from omnicloud.config.models import FailuresConfig, GitHubSink, WebhookSink
from omnicloud.errors import InfrastructureError
from omnicloud.redaction import safe_url, url_secrets
from omnicloud.triage.model import ClassifiedFailure, TriageReport
from omnicloud.triage.render import owner_slug, render_json, render_markdown, report_to_dict

MARKER = "omnicloud-fingerprint"
USER_AGENT = "omnicloud-triage"


class SinkError(Exception):
    """A remote sink failed; the message never contains a token."""


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


MAX_TEXT = 64 * 1024  # characters of one failure text kept in reports and sent to sinks


def bounded_text(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut to ``limit`` characters, keeping its head and its tail (where the error
    usually is) and saying how much was cut."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half} characters cut ...]\n{text[-half:]}"


def bounded(report: TriageReport, limit: int = MAX_TEXT) -> TriageReport:
    """The report with every failure text bounded: a 10 MB failure is not copied whole."""
    items = []
    for item in report.failures:
        f = item.failure
        cut = dataclasses.replace(
            f,
            message=bounded_text(f.message, limit),
            traceback=bounded_text(f.traceback, limit),
            stdout=bounded_text(f.stdout, limit),
            stderr=bounded_text(f.stderr, limit),
            log=bounded_text(f.log, limit),
        )
        items.append(dataclasses.replace(item, failure=cut))
    return dataclasses.replace(report, failures=tuple(items))


def write_local(report: TriageReport, out_dir: Path) -> list[Path]:
    """Write the run's and every owner's Markdown and JSON; returns the paths written."""
    report = bounded(report)
    written: list[Path] = []
    try:
        for name, text in (
            ("triage.json", render_json(report)),
            ("triage.md", render_markdown(report)),
        ):
            _atomic_write(out_dir / name, text)
            written.append(out_dir / name)
        for owner in report.by_owner():
            base = out_dir / "owners" / owner_slug(owner)
            for suffix, text in (
                (".md", render_markdown(report, owner)),
                (".json", render_json(report, owner)),
            ):
                _atomic_write(base.with_suffix(suffix), text)
                written.append(base.with_suffix(suffix))
    except OSError as exc:
        raise InfrastructureError(
            f"cannot write triage reports to {out_dir}: {exc.strerror or exc}"
        ) from None
    return written


# -- HTTP -------------------------------------------------------------------------------------


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def http_json(
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: Any = None,
    timeout: float = 10.0,
    auth_scheme: str = "Bearer",
    shown_url: str | None = None,
) -> tuple[int, Any, dict[str, str]]:
    """One JSON request; raises ``SinkError`` (token-free, and naming the URL as
    ``shown_url`` when the URL itself is a credential) on any failure."""
    data = None if body is None else json.dumps(body, default=str).encode()
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    if data is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"{auth_scheme} {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    shown = shown_url or url
    hidden = [token or "", *([url] if shown_url else []), *url_secrets(url)]
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            payload = json.loads(raw) if raw.strip() else None
            return response.status, payload, dict(response.headers)
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode("utf-8", "replace")
        raise SinkError(
            _redact(f"{method} {shown} answered HTTP {exc.code}: {detail}", hidden)
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SinkError(_redact(f"{method} {shown} failed: {reason}", hidden)) from None


# -- sinks ------------------------------------------------------------------------------------


class Sink(Protocol):
    name: str

    def send(self, report: TriageReport) -> str:
        """Deliver the report; return a one-line summary, raise ``SinkError`` on failure."""


def _token(env: str | None) -> str | None:
    if env is None:
        return None
    value = os.environ.get(env)
    if not value:
        raise SinkError(f"the environment variable {env} holding the token is not set")
    return value


class WebhookSinkDriver:
    """POST the whole report as JSON; retry with exponential backoff."""

    name = "webhook"

    def __init__(self, config: WebhookSink, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.sleep = sleep

    def send(self, report: TriageReport) -> str:
        token = _token(self.config.token_env)
        body = report_to_dict(bounded(report))
        body["by_owner"] = {
            o: [f.fingerprint for f in items] for o, items in report.by_owner().items()
        }
        last = ""
        for attempt in range(self.config.retries + 1):
            try:
                status, _, _ = http_json(
                    "POST",
                    self.config.url,
                    token=token,
                    body=body,
                    timeout=self.config.timeout,
                    shown_url=safe_url(self.config.url),  # a webhook's path is its credential
                )
                return f"webhook: delivered to {safe_url(self.config.url)} (HTTP {status})"
            except SinkError as exc:
                last = str(exc)
                if attempt < self.config.retries:
                    self.sleep(min(0.2 * 2**attempt, 5.0))
        raise SinkError(f"webhook: gave up after {self.config.retries + 1} attempts: {last}")


def issue_title(item: ClassifiedFailure) -> str:
    title = f"[omnicloud] {item.category}: {item.failure.test_id}"
    return title if len(title) <= 200 else title[:197] + "..."


def issue_body(item: ClassifiedFailure, run_id: str) -> str:
    failure = item.failure
    evidence = "\n".join(f"- `{e.field}` ~ `{e.pattern}`: `{e.text[:200]}`" for e in item.evidence)
    return "\n".join(
        [
            f"**{failure.test_id}** is {failure.status} in run `{run_id}`.",
            "",
            f"- category: **{item.category}** (rule `{item.rule or '-'}`)",
            f"- owners: {', '.join(item.owners)} (from {item.owner_source})",
            f"- history: {item.history}, first seen in run `{item.first_seen_run}`",
            f"- provider: {failure.provider or '-'}, contract: {failure.contract or '-'}",
            f"- suggestion: {item.suggestion or '-'}",
            "",
            "Evidence:",
            evidence or "- (none)",
            "",
            "```text",
            failure.message[:2000],
            "```",
            "",
            f"<!-- {MARKER}: {item.fingerprint} -->",
        ]
    )


class GitHubIssuesSink:
    """Create or update one GitHub issue per fingerprint (REST API; base URL configurable)."""

    name = "github"

    def __init__(self, config: GitHubSink) -> None:
        self.config = config
        self.base = config.api_url.rstrip("/") + f"/repos/{config.repository}"

    def send(self, report: TriageReport) -> str:
        token = _token(self.config.token_env)
        existing = self._existing(token)
        created = updated = 0
        done: set[str] = set()
        for item in report.failures:
            if item.failure.status == "skipped" or item.fingerprint in done:
                continue
            done.add(item.fingerprint)
            issue = existing.get(item.fingerprint)
            if issue is None:
                self._create(item, report.run_id, token)
                created += 1
            else:
                self._update(issue, item, report.run_id, token)
                updated += 1
        return f"github: {created} issue(s) created, {updated} updated in {self.config.repository}"

    def _existing(self, token: str | None) -> dict[str, dict[str, Any]]:
        """Issues carrying our label, by the fingerprint marker in their body."""
        found: dict[str, dict[str, Any]] = {}
        labels = ",".join(self.config.labels)
        for page in range(1, 101):
            query = urllib.parse.urlencode(
                {"state": "all", "labels": labels, "per_page": 100, "page": page}
            )
            _, issues, _ = http_json("GET", f"{self.base}/issues?{query}", token=token)
            for issue in issues or []:
                fingerprint = _marker(issue.get("body") or "")
                if fingerprint and fingerprint not in found:
                    found[fingerprint] = issue
            if not issues or len(issues) < 100:
                break
        return found

    def _labels(self, item: ClassifiedFailure) -> list[str]:
        return [*self.config.labels, f"category:{item.category}"]

    def _create(self, item: ClassifiedFailure, run_id: str, token: str | None) -> None:
        http_json(
            "POST",
            f"{self.base}/issues",
            token=token,
            body={
                "title": issue_title(item),
                "body": issue_body(item, run_id),
                "labels": self._labels(item),
            },
        )

    def _update(
        self, issue: dict[str, Any], item: ClassifiedFailure, run_id: str, token: str | None
    ) -> None:
        http_json(
            "PATCH",
            f"{self.base}/issues/{issue['number']}",
            token=token,
            body={
                "title": issue_title(item),
                "body": issue_body(item, run_id),
                "labels": self._labels(item),
                "state": "open",
            },
        )


def _marker(body: str) -> str | None:
    start = body.find(f"<!-- {MARKER}: ")
    if start < 0:
        return None
    rest = body[start + len(MARKER) + 7 :]
    return rest.split(" ", 1)[0].strip() or None


SINKS: dict[str, Callable[[Any], Sink]] = {
    "webhook": WebhookSinkDriver,
    "github": GitHubIssuesSink,
}


def configured_sinks(config: FailuresConfig) -> list[Sink]:
    sinks: list[Sink] = []
    for name, factory in SINKS.items():
        section = getattr(config, name, None)
        if section is not None:
            sinks.append(DeadlineSink(factory(section), float(config.sink_deadline)))
    return sinks


class DeadlineSink:
    """A sink bounded in total time: a server that answers one byte every few seconds keeps
    each read under its timeout, so only a deadline over the whole delivery ends it. The
    abandoned delivery runs on in a daemon thread that dies with the process."""

    def __init__(self, sink: Sink, deadline: float) -> None:
        self.sink = sink
        self.name = sink.name
        self.deadline = deadline

    def send(self, report: TriageReport) -> str:
        outcome: list[str | BaseException] = []

        def deliver() -> None:
            try:
                outcome.append(self.sink.send(report))
            except BaseException as exc:  # handed to the caller's thread below
                outcome.append(exc)

        worker = threading.Thread(target=deliver, name=f"omnicloud-sink-{self.name}", daemon=True)
        worker.start()
        worker.join(self.deadline)
        if not outcome:
            raise SinkError(
                f"{self.name}: not done within {self.deadline:g} s (failures.sink_deadline);"
                " abandoned"
            )
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]


def deliver(report: TriageReport, sinks: list[Sink]) -> tuple[list[str], list[str]]:
    """Send to every sink; a failing sink is reported, never raised. Returns (done, errors)."""
    done: list[str] = []
    errors: list[str] = []
    for sink in sinks:
        try:
            done.append(sink.send(report))
        except SinkError as exc:
            errors.append(f"{sink.name}: {exc}" if not str(exc).startswith(sink.name) else str(exc))
    return done, errors
