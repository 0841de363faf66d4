"""``omnicloud slo`` and ``omnicloud faults`` through the real entry point: exit codes, the
records they write, the errors they name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omnicloud.cli import main

CONFIG = """
[project]
results_dir = "results"
[slo]
trials = 2
duration = "200ms"
warmup = "50ms"
[slo.profiles.easy]
p50 = "1s"
throughput = "10/s"
rate = "200/s"
[providers.memstore]
factory = "omnicloud.providers.memory.memstore:MemStore"
implements = ["keyvalue_basic"]
slo = "easy"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "omnicloud.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_slo_measures_and_writes_its_record(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["slo", "--config", str(config), "--provider", "memstore"])
    out = capsys.readouterr().out
    assert code == 0, out
    report = json.loads((config.parent / "results" / "slo.json").read_text())
    (record,) = report["records"]
    assert (record["provider"], record["interface"], record["outcome"]) == (
        "memstore",
        "keyvalue_basic",
        "pass",
    )
    assert report["machine"]["cores"] >= 1
    assert "SLO: 1 pass, 0 fail, 0 inconclusive" in out


def test_a_missed_target_exits_one_and_a_baseline_round_trips(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = config.parent / "baseline.json"
    args = ["slo", "--config", str(config), "--provider", "memstore"]
    assert main([*args, "--save-baseline", str(baseline)]) == 0
    assert json.loads(baseline.read_text())["metrics"]["memstore/keyvalue_basic"]["p50"]
    main([*args, "--baseline", str(baseline)])  # the verdict on speed is not this test's
    compared = json.loads((config.parent / "results" / "slo.json").read_text())["baseline"]
    assert compared["comparable"]
    assert {c["metric"] for c in compared["changes"]} == {"p50", "throughput"}
    config.write_text(CONFIG.replace('p50 = "1s"', 'p50 = "1us"'), encoding="utf-8")
    assert main(args) == 1
    assert "FAIL" in capsys.readouterr().out


def test_an_unknown_profile_on_the_command_line_exits_two(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["slo", "--config", str(config), "--profile", "rfc15"]) == 2
    assert "unknown SLO profile 'rfc15'" in capsys.readouterr().err


def test_faults_without_an_environment_exit_three(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["faults", "--config", str(config)]) == 3
    assert "faults need services: choose an environment" in capsys.readouterr().err


def test_nothing_to_measure_is_no_verdict_and_exits_three(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "omnicloud.toml"
    path.write_text(
        '[providers.secrets]\nfactory = "omnicloud.providers.memory.secrets:InMemorySecrets"\n'
        'contract = "secrets"\n',
        encoding="utf-8",
    )
    assert main(["slo", "--config", str(path)]) == 3
    assert "nothing was measured" in capsys.readouterr().out


def test_a_provider_that_cannot_be_opened_is_an_error_not_a_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "omnicloud.toml"
    path.write_text(
        '[providers.nowhere]\nfactory = "omnicloud.providers.redis:create_store"\n'
        'options = { url = "redis://127.0.0.1:1/0" }\nimplements = ["keyvalue_basic"]\n',
        encoding="utf-8",
    )
    assert main(["slo", "--config", str(path)]) == 4
    out = capsys.readouterr().out
    assert "ERROR        nowhere / keyvalue_basic" in out
    assert "could not be measured: ConnectionError" in out


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"\xff\xfe\x00garbage", "not JSON"), (b"[" * 100_000 + b"]" * 100_000, "nested too deeply")],
    ids=["binary", "deep"],
)
def test_a_baseline_that_is_not_json_is_a_results_error(
    config: Path, capsys: pytest.CaptureFixture[str], content: bytes, reason: str
) -> None:
    baseline = config.parent / "baseline.json"
    baseline.write_bytes(content)
    code = main(
        ["slo", "--config", str(config), "--provider", "memstore", "--baseline", str(baseline)]
    )
    err = capsys.readouterr().err
    assert code == 6, err
    assert f"--baseline {baseline}: not JSON" in err
    assert reason in err
    assert "Traceback" not in err
