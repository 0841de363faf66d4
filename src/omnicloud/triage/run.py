"""The triage stage: JUnit in, classified and routed failures out, reports written, sinks fed.

``triage_results`` is what the certify pipeline and ``omnicloud triage`` call. Order matters:
the local reports are written before any remote sink is tried, so a sink that is down loses
nothing.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from omnicloud.config.models import Config, FailuresConfig
from omnicloud.errors import ExitCode
from omnicloud.redaction import redact
from omnicloud.results import MAX_JUNIT_BYTES, Results
from omnicloud.triage.classify import Classifier
from omnicloud.triage.defaults import effective_categories
from omnicloud.triage.history import History, RecordedFailure, current_commit, fingerprint
from omnicloud.triage.inputs import from_results, read_failures
from omnicloud.triage.model import Classification, ClassifiedFailure, Failure, TriageReport
from omnicloud.triage.route import Route, Router
from omnicloud.triage.sinks import configured_sinks, deliver, write_local

TRIAGE_DIR = "triage"


def new_run_id() -> str:
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:6]}"


class _Placeholders(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill_suggestion(
    template: str | None,
    *,
    failure: Failure,
    classification: Classification,
    owners: Sequence[str],
    config: Config | None,
    service_logs: Mapping[str, str],
    results_dir: Path,
) -> str:
    """The category's suggestion with its placeholders filled in for this failure."""
    if not template:
        return ""
    provider = config.providers.get(failure.provider or "") if config else None
    services = list(provider.services) if provider else []
    service = services[0] if services else "the service"
    log_path = service_logs.get(service) or str(results_dir / "logs")
    values = _Placeholders(
        provider=failure.provider or "the provider",
        service=", ".join(services) or service,
        log_path=log_path,
        owners=", ".join(owners),
        test_id=failure.test_id,
        category=classification.category,
        contract=failure.contract or "the contract",
        capability=failure.capability or "this capability",
        status=failure.status,
        evidence=classification.evidence[0].text if classification.evidence else "",
    )
    return template.format_map(values)


def secret_values(config: Config | None) -> list[str]:
    """Values never to write anywhere: secrets of the configuration and the sinks' tokens."""
    if config is None:
        return []
    tokens = [config.failures.github.token_env] if config.failures.github else []
    if config.failures.webhook and config.failures.webhook.token_env:
        tokens.append(config.failures.webhook.token_env)
    return [*config.secret_values(), *(os.environ.get(name, "") for name in tokens)]


def redact_failures(failures: list[Failure], secrets: list[str]) -> list[Failure]:
    """Failures with every secret value masked in their texts (tests do print secrets)."""
    if not any(len(s) >= 3 for s in secrets):
        return failures
    return [
        replace(
            f,
            message=redact(f.message, secrets),
            traceback=redact(f.traceback, secrets),
            stdout=redact(f.stdout, secrets),
            stderr=redact(f.stderr, secrets),
            log=redact(f.log, secrets),
        )
        for f in failures
    ]


def triage_failures(
    failures: Sequence[Failure],
    config: Config | None,
    *,
    root: Path,
    results_dir: Path,
    service_logs: Mapping[str, str] | None = None,
) -> list[ClassifiedFailure]:
    """Classify, route and fingerprint (pure apart from locating provider files)."""
    if not failures:  # a green run compiles no category pattern and locates no file
        return []
    failures_config = config.failures if config else FailuresConfig()
    classifier = Classifier(effective_categories(failures_config))
    router = Router.from_config(config, root)
    out = []
    for failure, classification in zip(failures, classifier.classify_all(failures), strict=True):
        route: Route = router.route(failure, classification)
        out.append(
            ClassifiedFailure(
                failure=failure,
                category=classification.category,
                rule=classification.rule,
                evidence=classification.evidence,
                owners=route.owners,
                owner_source=route.source,
                suggestion=fill_suggestion(
                    classification.suggestion,
                    failure=failure,
                    classification=classification,
                    owners=route.owners,
                    config=config,
                    service_logs=service_logs or {},
                    results_dir=results_dir,
                ),
                fingerprint=fingerprint(failure),
            )
        )
    return out


def triage_results(
    config: Config | None,
    junit_paths: Sequence[Path],
    results_dir: Path,
    *,
    run_id: str | None = None,
    root: Path | None = None,
    history_path: Path | None = None,
    use_history: bool = True,
    use_sinks: bool = True,
    include_skipped: bool = False,
    service_logs: Mapping[str, str] | None = None,
    max_junit_bytes: int = MAX_JUNIT_BYTES,
    skip: Collection[tuple[str, str]] = (),
    results: Results | None = None,
) -> TriageReport:
    """Triage a run: read JUnit, classify, route, compare with history, write, deliver.

    ``skip`` lists (provider, suite) pairs whose failures are not triaged: the interfaces a
    ``--probe`` run tried without the provider declaring them, which are no verdict.
    ``results``, when the caller has already read the JUnit (the certify pipeline), is used
    instead of reading ``junit_paths`` again.

    Writes ``<results_dir>/triage/triage.{json,md}`` and ``owners/<owner>.{json,md}``; records
    the run in the history database (``failures.history``); then tries the configured sinks and
    lists their failures in ``TriageReport.sink_errors``. Raises ``ResultsError`` (exit 6) for
    unreadable JUnit and ``InfrastructureError`` (exit 5) when reports or history can't be
    written.
    """
    root = root or (config.source.parent if config and config.source else Path.cwd())
    run_id = run_id or new_run_id()
    junit = (
        from_results(results)
        if results is not None
        else read_failures(list(junit_paths), max_bytes=max_junit_bytes)
    )
    failures = junit.failures + (junit.skipped if include_skipped else [])
    failures = [f for f in failures if (f.provider, f.contract) not in skip]
    failures = redact_failures(failures, secret_values(config))
    items = triage_failures(
        failures, config, root=root, results_dir=results_dir, service_logs=service_logs
    )
    report = TriageReport(
        run_id=run_id,
        failures=tuple(items),
        passed=len(junit.passed),
        anomalies=tuple(junit.anomalies),
    )
    if use_history:
        report = _with_history(report, junit.passed, config, root, history_path)
    out_dir = results_dir / TRIAGE_DIR
    written = write_local(report, out_dir)
    report = replace(report, written=tuple(str(p) for p in written))
    if use_sinks and config is not None:
        _, errors = deliver(report, configured_sinks(config.failures))
        report = replace(report, sink_errors=tuple(errors))
    return report


def _with_history(
    report: TriageReport,
    passed: list[str],
    config: Config | None,
    root: Path,
    history_path: Path | None,
) -> TriageReport:
    path = history_path or (config.failures.history if config else FailuresConfig().history)
    path = path if path.is_absolute() else root / path
    recorded = [RecordedFailure(i.failure, i.fingerprint, i.category) for i in report.failures]
    update = History(path).record(report.run_id, current_commit(root), passed, recorded)
    items = []
    for item in report.failures:
        seen = update.seen[item.fingerprint]
        items.append(
            replace(
                item,
                history=seen.state,
                first_seen_run=seen.first_run,
                first_seen_commit=seen.first_commit,
            )
        )
    return replace(
        report, failures=tuple(items), fixed=tuple(update.fixed), flakiness=update.flakiness
    )


def triage_exit_code(report: TriageReport) -> int:
    """1 when any failure or error remains (flakes and skips do not fail a run), else 0.

    Sink errors do not change the exit code: the report exists locally and they are printed.
    """
    return ExitCode.VIOLATIONS if report.blocking else ExitCode.OK
