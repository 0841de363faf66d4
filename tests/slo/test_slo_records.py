"""SLO and fault verdicts as records: read from the results folder, shown in the matrix
(JSON, Markdown, HTML) and carried, with their report's digest, in the certificate."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from omnicloud.certificate import build_certificate
from omnicloud.config.models import Config
from omnicloud.report.html_matrix import render_html
from omnicloud.report.matrix import build_matrix, to_json
from omnicloud.report.matrix_markdown import render_markdown
from omnicloud.results import load_results
from omnicloud.slo.records import load_verdicts

SLO = {
    "kind": "omnicloud-slo",
    "run_id": "r1",
    "machine": {"class": "2 x cpu"},
    "records": [
        {
            "provider": "kv",
            "interface": "keyvalue_basic",
            "outcome": "inconclusive",
            "slo": {"source": "profile rfc015"},
            "metrics": [
                {
                    "metric": "p99",
                    "target": 0.005,
                    "measured": 0.004,
                    "low": 0.003,
                    "high": 0.006,
                    "outcome": "inconclusive",
                    "unit": "s",
                },
            ],
        }
    ],
}
FAULTS = {
    "kind": "omnicloud-faults",
    "run_id": "r2",
    "records": [
        {
            "provider": "kv",
            "profile": "crash_restart",
            "outcome": "fail",
            "checks": [{"invariant": "acknowledged writes survive", "outcome": "fail"}],
        }
    ],
}


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "slo.json").write_text(json.dumps(SLO), encoding="utf-8")
    (tmp_path / "faults.json").write_text(json.dumps(FAULTS), encoding="utf-8")
    return tmp_path


def _matrix(tmp_path: Path) -> Any:
    config = Config.model_validate(
        {
            "providers": {
                "kv": {
                    "factory": "omnicloud.providers.memory.memstore:MemStore",
                    "implements": ["keyvalue_basic"],
                }
            }
        }
    )
    matrix = build_matrix(config, load_results([]), providers=("kv",))
    return config, dataclasses.replace(matrix, verdicts=load_verdicts(_folder(tmp_path)))


def test_the_matrix_shows_both_reports_in_their_own_sections(tmp_path: Path) -> None:
    _, matrix = _matrix(tmp_path)
    markdown = render_markdown(matrix)
    assert "### Performance (SLO) — run r1 on 2 x cpu" in markdown
    assert "| kv | keyvalue_basic | INCONCLUSIVE (p99 4ms) |" in markdown
    assert "| kv | crash_restart | FAIL | acknowledged writes survive: fail |" in markdown
    page = render_html(matrix)
    assert '<td class="v-inconclusive">INCONCLUSIVE (p99 4ms)</td>' in page
    data = to_json(matrix)
    assert data["slo"]["records"][0]["outcome"] == "inconclusive"
    assert data["faults"]["file"]["name"] == "faults.json"


def test_the_certificate_carries_the_providers_verdicts_and_the_reports_digest(
    tmp_path: Path,
) -> None:
    config, matrix = _matrix(tmp_path)
    certificate = build_certificate(config, matrix, "kv", junit=[], run_id="r3")
    text = json.dumps(certificate)
    assert "acknowledged writes survive" in text
    assert matrix.verdicts["slo"]["file"]["sha256"] in text


def test_without_reports_nothing_is_added(tmp_path: Path) -> None:
    assert load_verdicts(tmp_path) == {}
    _, matrix = _matrix(tmp_path)
    assert "Performance (SLO)" not in render_markdown(dataclasses.replace(matrix, verdicts={}))
    assert "slo" not in to_json(dataclasses.replace(matrix, verdicts={}))
