"""The matrix as people read it: RFC-015's headline, backends as columns, contract-only
providers apart, terminal tables that never cut a cell, probes that are no verdict. Pure."""

from __future__ import annotations

import json
import re

import pytest
from rich.console import Console

from omnicloud.config.models import Config
from omnicloud.report.documents import render_markdown as render_report
from omnicloud.report.documents import report_data
from omnicloud.report.html_matrix import render_html
from omnicloud.report.matrix import Matrix, build_matrix, real_summary, to_json
from omnicloud.report.matrix_markdown import render_markdown
from omnicloud.report.matrix_terminal import render_terminal, split_columns
from omnicloud.report.terminal import render_table
from omnicloud.results import Results, TestResult

REDIS = ["keyvalue_basic", "keyvalue_ttl", "list_basic"]
POSTGRES = ["keyvalue_basic", "queue_basic", "graph_basic"]


def _test(provider: str, suite: str, name: str = "test_it", outcome: str = "passed") -> TestResult:
    return TestResult(
        classname=f"omnicloud.toml.{provider}:{suite}",
        name=name,
        outcome=outcome,  # type: ignore[arg-type]
        message="AssertionError: boom" if outcome == "failed" else "",
        provider=provider,
        suite=suite,
    )


def _config() -> Config:
    return Config.model_validate(
        {
            "providers": {
                "redis": {"factory": "m:f", "implements": REDIS},
                "memory-kv": {"contract": "kv", "factory": "m:f"},
                "postgres": {"factory": "m:f", "implements": POSTGRES},
                "memstore": {
                    "contract": "kv",
                    "factory": "m:f",
                    "reference": True,
                    "implements": [*REDIS, "sortedset_basic"],
                },
                "sqlite-kv": {"contract": "kv", "factory": "m:f"},
            }
        }
    )


def _matrix(*extra: TestResult) -> Matrix:
    tests = [_test("redis", s) for s in REDIS]
    tests += [_test("postgres", s) for s in ("keyvalue_basic", "queue_basic")]
    tests.append(_test("postgres", "graph_basic", outcome="failed"))
    tests += [_test("memstore", s) for s in (*REDIS, "sortedset_basic", "kv_store")]
    tests += [_test("memory-kv", "kv_store"), _test("sqlite-kv", "kv_store", outcome="failed")]
    return build_matrix(_config(), Results((*tests, *extra)), meta={"project": "demo"})


# ----------------------------------------------------------------------------------- headline
def test_real_summary_counts_interfaces_passing_on_a_real_backend() -> None:
    real = real_summary(_matrix())
    # graph_basic fails on postgres; sortedset_basic passes on the reference only
    assert real.passing == ("keyvalue_basic", "keyvalue_ttl", "queue_basic", "list_basic")
    assert real.backends == ("redis", "postgres")
    assert real.references == ("memstore",)
    assert real.line == "4/45 interfaces PASS on at least one real backend across 2 backends"


def test_summary_line_wording_for_one_and_no_backend() -> None:
    one = build_matrix(
        Config.model_validate({"providers": {"etcd": {"factory": "m:f", "implements": REDIS}}}),
        Results(tuple(_test("etcd", s) for s in REDIS)),
    )
    assert real_summary(one).line == (
        "3/45 interfaces PASS on at least one real backend across 1 backend"
    )
    none = build_matrix(_config(), Results((_test("memory-kv", "kv_store"),)))
    assert real_summary(none).line == (
        "0/45 interfaces PASS on at least one real backend across 0 backends"
    )


def test_columns_sections_and_rows_in_play() -> None:
    matrix = _matrix()
    assert matrix.interface_providers() == ("redis", "postgres", "memstore")  # reference last
    assert matrix.contract_only() == ("memory-kv", "sqlite-kv")
    assert matrix.contract_providers() == ("memory-kv", "memstore", "sqlite-kv")
    assert matrix.rows_in_play() == (
        "keyvalue_basic",
        "keyvalue_ttl",
        "queue_basic",
        "list_basic",
        "sortedset_basic",
        "graph_basic",
    )


def test_json_carries_the_headline_and_probe_findings() -> None:
    probe = _test("redis", "set_basic", outcome="failed")
    data = json.loads(json.dumps(to_json(_matrix(probe))))
    assert data["real_backends"]["line"].startswith("4/45 interfaces PASS")
    assert data["real_backends"]["backends"] == ["redis", "postgres"]
    assert data["references"] == ["memstore"]
    assert data["not_implemented"] == ["redis:set_basic"]


def test_markdown_has_the_headline_and_a_contract_section() -> None:
    text = render_markdown(_matrix())
    assert "**4/45 interfaces PASS on at least one real backend across 2 backends**" in text
    assert "| interface | `redis` | `postgres` | `memstore` (reference) |" in text
    assert "| graph_basic | · | ❌ FALSE CLAIM | · |" in text
    assert "| `sqlite-kv` | kv_store | ❌ FAIL | 0 | 1 |" in text
    assert "pubsub_basic" not in text  # no one declares it
    assert "`memory-kv`" not in text.split("### Contract suites")[0]  # not a column


# ----------------------------------------------------------------------------------- terminal
def _terminal(matrix: Matrix, width: int, **options: bool) -> str:
    console = Console(width=width, record=True, force_terminal=False, color_system=None)
    render_terminal(matrix, console, **options)
    return console.export_text()


@pytest.mark.parametrize("width", [40, 60, 100, 200])
def test_terminal_table_never_cuts_a_cell(width: int) -> None:
    text = _terminal(_matrix(), width)
    assert "…" not in text
    headers = [line for line in text.splitlines() if line.startswith("interface")]
    shown = " ".join(headers)
    for name in ("redis", "postgres", "memstore (ref)"):
        assert name in shown
    for row in ("keyvalue_basic", "graph_basic", "sortedset_basic"):
        assert re.search(rf"^{row}\s", text, re.MULTILINE)
    assert "pubsub_basic" not in text  # rows no one declares stay out by default
    assert " ".join(text.split()).endswith(
        "4/45 interfaces PASS on at least one real backend across 2 backends"
    )


def test_narrow_terminals_split_the_columns_into_parts() -> None:
    matrix = _matrix()
    columns = matrix.interface_providers()
    rows = matrix.rows_in_play()
    assert split_columns(matrix, columns, rows, 200) == [columns]
    parts = split_columns(matrix, columns, rows, 40)
    assert len(parts) > 1
    assert [p for part in parts for p in part] == list(columns)
    assert len(_terminal(matrix, 40).split("interface ")) - 1 == len(parts)


def test_terminal_lists_problems_and_contract_suites() -> None:
    text = _terminal(_matrix(), 120)
    assert "postgres:graph_basic declared, but its suite fails" in text
    assert "failed: test_it  AssertionError: boom" in text
    assert "Contract suites: 2 of 3 pass" in text
    assert "sqlite-kv: kv_store FAIL (0 passed, 1 failed)" in text
    assert "memory-kv: kv_store" not in text  # passing contract suites: counted, not listed
    assert "memory-kv: kv_store pass" in _terminal(_matrix(), 120, all_rows=True)
    assert "pubsub_basic" in _terminal(_matrix(), 120, all_rows=True)


def test_terminal_probe_findings_are_no_verdict() -> None:
    matrix = _matrix(
        _test("redis", "set_basic"),  # undeclared and passes
        _test("redis", "graph_basic", outcome="failed"),  # undeclared and fails
    )
    text = _terminal(matrix, 120)
    assert "redis could declare set_basic (passes, not declared" in text
    assert "redis does not implement 1 probed interface (not declared" in text
    assert "redis:graph_basic" not in text


def test_certify_table_sums_up_probes_without_violations() -> None:
    results = Results(
        (
            _test("redis", "keyvalue_basic"),
            _test("redis", "set_basic"),
            _test("redis", "graph_basic", outcome="failed"),
            _test("redis", "queue_basic", outcome="failed"),
        )
    )
    console = Console(width=120, record=True, force_terminal=False, color_system=None)
    probes = {("redis", "set_basic"), ("redis", "graph_basic"), ("redis", "queue_basic")}
    render_table(results, console, probes=probes)
    text = console.export_text()
    assert "VIOLATION" not in text
    assert "violated" not in text
    assert "probe redis: could declare set_basic; does not implement 2" in text
    assert "keyvalue_basic" in text  # the declared suite keeps its row
    console = Console(width=120, record=True, force_terminal=False, color_system=None)
    render_table(results, console)  # without probes every failure is a violation
    assert "2 failed test(s)" in console.export_text()


# --------------------------------------------------------------------------------------- html
def test_html_columns_hidden_rows_and_contract_section() -> None:
    page = render_html(_matrix())
    head = page.split("<thead>")[1].split("</thead>")[0]
    assert re.findall(r"<th scope=col[^>]*>([^<]+)<small>", head) == [
        "redis",
        "postgres",
        "memstore",
    ]
    assert "memory-kv" not in head
    assert "<h2>Contract suites</h2>" in page
    assert "<td><code>memory-kv</code></td><td>kv_store</td>" in page
    assert "0 of 0" not in page
    rows = dict(re.findall(r'<tr id="row-([a-z_]+)"([^>]*)>', page))
    assert len(rows) == 45
    assert "data-quiet hidden" in rows["pubsub_basic"]
    assert "hidden" not in rows["keyvalue_basic"]
    assert sum("hidden" in attributes for attributes in rows.values()) == 39
    assert "show the 39 interfaces no provider declares" in page
    assert "position: sticky" in page
    assert 'id="headline"><span class="n">4</span>/45 interfaces PASS' in page
    sortedset = page.split('id="row-sortedset_basic"')[1].split("</tr>")[0]
    assert "no real backend" in sortedset


def test_html_failing_cells_link_to_their_messages() -> None:
    page = render_html(_matrix())
    assert '<a href="#cell-postgres-graph_basic">' in page
    section = page.split('<section id="cell-postgres-graph_basic">')[1].split("</section>")[0]
    assert "declared, but its suite fails" in section
    assert "AssertionError: boom" in section
    assert '<a href="#cell-sqlite-kv-contract">' in page
    assert '<section id="cell-sqlite-kv-contract">' in page


def test_certify_report_documents_probes_as_findings() -> None:
    results = Results(
        (
            _test("redis", "keyvalue_basic"),
            _test("redis", "set_basic"),
            _test("redis", "graph_basic", outcome="failed"),
            _test("redis", "list_basic", outcome="failed"),
        )
    )
    meta = {"project": "demo", "probes": ["redis:graph_basic", "redis:set_basic"]}
    data = report_data(results, meta)
    assert [v["suite"] for v in data["violations"]] == ["list_basic"]  # declared, failing
    assert [t["suite"] for t in data["targets"] if t.get("probe")] == ["graph_basic", "set_basic"]
    text = render_report(data)
    assert "| redis | set_basic | 1 | 0 | 0 | 0 | 0.00s | could declare (probe) |" in text
    assert "| redis | graph_basic | 0 | 1 | 0 | 0 | 0.00s | does not implement (probe) |" in text
    assert text.count("**VIOLATION**") == 1


def test_html_cards_count_probe_findings() -> None:
    page = render_html(
        _matrix(_test("redis", "set_basic"), _test("redis", "graph_basic", outcome="failed"))
    )
    card = page.split("<b>redis</b>")[1].split("</div>")[0]
    assert "1 not declared, but passes: could declare it" in card
    assert "1 probed: does not implement" in card
    assert "cell-redis-graph_basic" not in page  # a probe failing is no failure to link
