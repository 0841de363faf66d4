"""Sinks against a real HTTP server on 127.0.0.1: GitHub issues subset and a webhook receiver."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from omnicloud.config.models import Config, FailuresConfig, GitHubSink, WebhookSink
from omnicloud.triage.run import triage_results
from omnicloud.triage.sinks import GitHubIssuesSink, SinkError, WebhookSinkDriver, deliver

CORPUS = Path(__file__).parent / "corpus"
TOKEN = "ghp_s3cr3t-t0ken-never-printed"


class FakeGitHub:
    """The subset of the GitHub REST API the sink uses, plus a webhook endpoint."""

    def __init__(self) -> None:
        self.issues: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.webhook_bodies: list[dict[str, Any]] = []
        self.webhook_failures = 0

    def hook(self, body: Any) -> tuple[int, Any]:
        if self.webhook_failures:
            self.webhook_failures -= 1
            return 503, {"message": "try later"}
        self.webhook_bodies.append(body)
        return 204, None

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> tuple[int, Any]:
        url = urlparse(handler.path)
        self.requests.append((method, url.path, dict(handler.headers)))
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length)) if length else None
        if url.path == "/hook":
            return self.hook(body)
        if handler.headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"message": "Bad credentials"}
        parts = url.path.strip("/").split("/")
        if parts[:3] != ["repos", "acme", "platform"] or parts[3] != "issues":
            return 404, {"message": "Not Found"}
        if method == "GET":
            query = parse_qs(url.query)
            labels = set(query.get("labels", [""])[0].split(","))
            page, per_page = int(query["page"][0]), int(query["per_page"][0])
            found = [i for i in self.issues if labels <= set(i["labels"])]
            return 200, found[(page - 1) * per_page : page * per_page]
        if method == "POST":
            issue = {"number": len(self.issues) + 1, "state": "open", **(body or {})}
            self.issues.append(issue)
            return 201, issue
        issue = self.issues[int(parts[4]) - 1]
        issue.update(body or {})
        return 200, issue


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            status, payload = fake.handle(self, method)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

        def log_message(self, *args: Any) -> None:
            pass  # keep the test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config_with(**failures: Any) -> Config:
    return Config(failures=FailuresConfig(**failures))


def test_github_issues_are_created_once_then_updated_by_fingerprint(
    github: tuple[FakeGitHub, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, base = github
    monkeypatch.setenv("ACME_TOKEN", TOKEN)
    config = config_with(
        github=GitHubSink(repository="acme/platform", api_url=base, token_env="ACME_TOKEN")
    )
    junit = [CORPUS / "gotestsum.xml"]
    first = triage_results(config, junit, tmp_path / "r", run_id="run-1", use_history=False)
    assert first.sink_errors == ()
    assert len(fake.issues) == 3
    watch = next(i for i in fake.issues if "TestWatch" in i["title"])
    assert watch["title"] == "[omnicloud] timeout: github.com/acme/platform/kv::TestWatch"
    assert watch["labels"] == ["omnicloud", "category:timeout"]
    assert "<!-- omnicloud-fingerprint: " in watch["body"]
    assert "context deadline exceeded" in watch["body"]

    fake.issues[0]["state"] = "closed"
    second = triage_results(config, junit, tmp_path / "r", run_id="run-2", use_history=False)
    assert second.sink_errors == ()
    assert len(fake.issues) == 3  # updated, not duplicated
    assert fake.issues[0]["state"] == "open"  # a failure that is back reopens its issue
    assert "run `run-2`" in fake.issues[0]["body"]
    assert [m for m, *_ in fake.requests].count("PATCH") == 3


def test_token_is_sent_but_never_written_or_printed(
    github: tuple[FakeGitHub, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, base = github
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    config = config_with(github=GitHubSink(repository="acme/other", api_url=base))
    report = triage_results(config, [CORPUS / "jest-junit.xml"], tmp_path / "r", use_history=False)
    assert fake.requests[0][2]["Authorization"] == f"Bearer {TOKEN}"
    assert len(report.sink_errors) == 1
    assert "HTTP 404" in report.sink_errors[0]
    for path in (tmp_path / "r").rglob("*"):
        if path.is_file():
            assert TOKEN not in path.read_text()
    assert TOKEN not in " ".join(report.sink_errors)


def test_a_sink_that_is_down_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    url = f"http://127.0.0.1:{closed_port()}"
    config = config_with(
        github=GitHubSink(repository="acme/platform", api_url=url),
        webhook=WebhookSink(url=f"{url}/hook", retries=1, timeout="1s"),
    )
    report = triage_results(config, [CORPUS / "jest-junit.xml"], tmp_path / "r", use_history=False)
    assert (tmp_path / "r" / "triage" / "triage.json").is_file()
    assert len(json.loads((tmp_path / "r/triage/triage.json").read_text())["failures"]) == 2
    assert len(report.sink_errors) == 2
    assert report.sink_errors[0].startswith("webhook: gave up after 2 attempts: POST ")
    assert report.sink_errors[1].startswith(f"github: GET {url}/repos/acme/platform/issues?")
    assert "Connection refused" in report.sink_errors[1]


def test_missing_token_is_a_sink_error_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    sink = GitHubIssuesSink(GitHubSink(repository="acme/platform", api_url="http://127.0.0.1:9"))
    report = triage_results(None, [CORPUS / "jest-junit.xml"], tmp_path, use_history=False)
    assert deliver(report, [sink]) == (
        [],
        ["github: the environment variable GITHUB_TOKEN holding the token is not set"],
    )


def test_webhook_posts_the_report_and_retries(
    github: tuple[FakeGitHub, str], tmp_path: Path
) -> None:
    fake, base = github
    fake.webhook_failures = 2
    sleeps: list[float] = []
    sink = WebhookSinkDriver(WebhookSink(url=f"{base}/hook", retries=3), sleep=sleeps.append)
    report = triage_results(
        None, [CORPUS / "gotestsum.xml"], tmp_path, run_id="r9", use_history=False
    )
    # the webhook path is its credential: only scheme, host and port are shown
    assert sink.send(report) == f"webhook: delivered to {base}/*** (HTTP 204)"
    assert sleeps == [0.2, 0.4]
    body = fake.webhook_bodies[0]
    assert body["run_id"] == "r9"
    assert body["summary"]["total"] == 3
    assert sorted(body["by_owner"]) == ["unowned"]
    fake.webhook_failures = 5
    with pytest.raises(SinkError, match=r"gave up after 2 attempts: POST .* HTTP 503"):
        WebhookSinkDriver(WebhookSink(url=f"{base}/hook", retries=1), sleep=sleeps.append).send(
            report
        )


def test_secrets_printed_by_a_test_are_masked_in_reports_and_issues(
    github: tuple[FakeGitHub, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from omnicloud.config import load_config

    fake, base = github
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    (tmp_path / "omnicloud.toml").write_text(f"""
[providers.pg-kv]
contract = "kv_store"
factory = "acme.kv:PgKV"
options = {{ password = {{ secret = "hunter2-pw" }} }}
[failures.github]
repository = "acme/platform"
api_url = "{base}"
""")
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuite name="s"><testcase classname="c" name="t">'
        '<failure message="login failed for postgres://u:hunter2-pw@db with token '
        f'{TOKEN}">trace</failure></testcase></testsuite>'
    )
    report = triage_results(
        load_config(tmp_path / "omnicloud.toml"), [junit], tmp_path / "r", use_history=False
    )
    assert report.sink_errors == ()
    assert (
        report.failures[0].failure.message == "login failed for postgres://u:***@db with token ***"
    )
    written = " ".join(p.read_text() for p in (tmp_path / "r").rglob("*") if p.is_file())
    assert "hunter2-pw" not in written
    assert TOKEN not in written
    assert "***" in fake.issues[0]["body"]
    assert "hunter2-pw" not in fake.issues[0]["body"]
