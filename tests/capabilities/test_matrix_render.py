"""The matrix from typed results: statuses, Markdown, JSON, and the self-contained HTML page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from omnicloud.capabilities import EXPECTED_PREFIX
from omnicloud.config import load_config
from omnicloud.config.models import Config
from omnicloud.report.html_matrix import render_html
from omnicloud.report.matrix import Matrix, build_matrix, to_json
from omnicloud.report.matrix_markdown import render_markdown
from omnicloud.results import Results, TestResult

CONFIG = """[project]
name = "demo"

[providers.good]
contract = "kv_store"
factory = "omnicloud.providers.memory.memstore:MemStore"
implements = ["keyvalue_basic", "keyvalue_ttl", "list_basic", "list_blocking"]
expected_failures.list_blocking = { kind = "notyet", reason = "blocking pops in 2.0" }

[providers.liar]
contract = "kv_store"
factory = "omnicloud.providers.memory.memstore:MemStore"
implements = ["keyvalue_basic", "keyvalue_ttl"]
options = { password = { secret = "hunter2-secret" } }
expected_failures.keyvalue_basic = { kind = "never", reason = "by design" }
"""


def _test(
    provider: str,
    suite: str,
    name: str,
    *,
    outcome: str = "passed",
    message: str = "",
    traceback: str = "",
) -> TestResult:
    return TestResult(
        classname=f"omnicloud.toml.{provider}:{suite}",
        name=name,
        outcome=outcome,  # type: ignore[arg-type]
        message=message,
        traceback=traceback,
        provider=provider,
        suite=suite,
    )


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "omnicloud.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return load_config(path)


@pytest.fixture
def matrix(config: Config) -> Matrix:
    tests = [
        _test("good", "kv_store", "test_set"),
        _test("good", "keyvalue_basic", "test_get"),
        _test("good", "keyvalue_ttl", "test_expires"),
        _test("good", "list_basic", "test_push"),
        _test(
            "good",
            "list_blocking",
            "test_waits",
            outcome="skipped",
            message=EXPECTED_PREFIX + "[notyet]: x",
        ),
        _test("good", "keyvalue_scan", "test_scan"),  # probed, undeclared, passes
        _test(
            "good", "set_basic", "test_add", outcome="failed", message="AttributeError"
        ),  # probe fails
        _test("liar", "kv_store", "test_set"),
        _test("liar", "keyvalue_basic", "test_get"),
        _test(
            "liar",
            "keyvalue_ttl",
            "test_expires",
            outcome="failed",
            message="AssertionError: <script>alert(1)</script> password hunter2-secret",
            traceback="Traceback: value still present after 0.3s TTL",
        ),
    ]
    return build_matrix(config, Results(tuple(tests)), meta={"project": "demo", "run_id": "r1"})


def test_statuses(matrix: Matrix) -> None:
    status = {(c.provider, c.row): c.status for c in matrix.cells.values()}
    assert status[("good", "contract")] == "pass"
    assert status[("good", "keyvalue_ttl")] == "pass"
    assert status[("good", "list_blocking")] == "expected_failure"
    assert status[("good", "keyvalue_scan")] == "probe_pass"
    assert status[("good", "set_basic")] == "not_claimed"
    assert status[("good", "graph_basic")] == "not_claimed"
    assert status[("liar", "keyvalue_ttl")] == "false_claim"
    assert status[("liar", "keyvalue_basic")] == "unexpected_pass"
    assert matrix.exit_code() == 1
    assert [(c.provider, c.row) for c in matrix.problems()] == [
        ("liar", "keyvalue_basic"),
        ("liar", "keyvalue_ttl"),
    ]
    assert [(c.provider, c.row) for c in matrix.suggestions()] == [("good", "keyvalue_scan")]
    assert matrix.providers == ("good", "liar")
    assert len(matrix.rows) == 46


def test_json(matrix: Matrix) -> None:
    data = json.loads(json.dumps(to_json(matrix)))
    assert data["problems"] == [
        "liar:keyvalue_basic: expected failure that passes: remove the entry",
        "liar:keyvalue_ttl: declared, but its suite fails",
    ]
    assert data["declare"] == ["good:keyvalue_scan"]
    blocking = next(
        c for c in data["cells"] if (c["provider"], c["row"]) == ("good", "list_blocking")
    )
    assert blocking["expected_failure"] == {"kind": "notyet", "reason": "blocking pops in 2.0"}
    assert blocking["xfailed"] == 1
    assert "hunter2-secret" not in json.dumps(data)


def test_markdown(matrix: Matrix) -> None:
    text = render_markdown(matrix)
    assert "| interface | `good` | `liar` |" in text
    assert "| keyvalue_ttl | ✅ pass | ❌ FALSE CLAIM |" in text
    assert "| list_blocking | ⚠️ xfail (notyet) | · |" in text
    assert "| keyvalue_basic | ✅ pass | ❗ XPASS (never) |" in text
    assert "- `good`: keyvalue_scan" in text
    assert "| `liar` | 2 | 0 | 1 | 0 | 1 | 0 |" in text


def test_html_is_self_contained_and_links_cells_to_failures(matrix: Matrix) -> None:
    page = render_html(matrix)
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<link" not in page
    assert "@import" not in page
    assert '<a href="#cell-liar-keyvalue_ttl">' in page
    assert '<section id="cell-liar-keyvalue_ttl">' in page
    assert "value still present after 0.3s TTL" in page
    assert "<script>alert(1)</script>" not in page  # test output is escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "hunter2-secret" not in page
    assert page.count("<script>") == 1  # the sorting script, inline
    assert "aria-sort" in page
    assert 'addEventListener("click"' in page
    assert "blocking pops in 2.0" in page
    assert '<a href="#cell-liar-keyvalue_basic">' in page  # unexpected pass: why it is flagged
    assert "remove the entry from expected_failures" in page


def test_rows_follow_the_catalog(matrix: Matrix) -> None:
    page = render_html(matrix)
    order = [
        page.index(f">{name}</td>")
        for name in ("keyvalue_basic", "pubsub_basic", "document_indexing")
    ]
    assert order == sorted(order)
