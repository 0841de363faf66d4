"""``omnicloud data``: exports through the real command entry point."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from omnicloud.cli import main
from omnicloud.errors import ExitCode

CONFIG = """\
[project]
results_dir = "results"

[data.users]
count = 25
seed = 42
fields = { id = "uuid", name = "name", email = { type = "email", nullable = 0.2 } }

[data.orders]
count = 10
fields = { id = "sequence", user = "ref:users.id", meta = "json:2", ok = "bool" }
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "omnicloud.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_exports_every_dataset_in_both_formats(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = config.parent / "export"
    assert main(["data", "-c", str(config), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json",
        "orders.csv",
        "orders.jsonl",
        "users.csv",
        "users.jsonl",
    ]
    lines = (out / "users.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 25
    records = [json.loads(line) for line in lines]
    with (out / "users.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    assert [r["email"] for r in rows] == [r["email"] or "" for r in records]
    with (out / "orders.csv").open(encoding="utf-8", newline="") as stream:
        orders = list(csv.DictReader(stream))
    assert orders[0]["id"] == "1"
    assert orders[0]["ok"] in ("true", "false")
    assert isinstance(json.loads(orders[0]["meta"]), dict)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["users"]["count"] == 25
    assert manifest["users"]["fingerprint"].startswith("sha256:")
    assert "users: 25 records ->" in capsys.readouterr().out


def test_one_dataset_one_format_default_folder(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(config.parent)
    assert main(["data", "orders", "--format", "csv", "--count", "3"]) == 0
    out = config.parent / "results" / "data"
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "orders.csv"]
    assert len((out / "orders.csv").read_text().splitlines()) == 4
    capsys.readouterr()


def test_unknown_dataset_is_a_selection_error(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = config.parent / "never"
    code = main(["data", "user", "-c", str(config), "--out", str(out)])
    assert code == ExitCode.SELECTION
    assert capsys.readouterr().err.splitlines()[0] == (
        "error: unknown dataset 'user'; did you mean 'users'? (configured: 'orders', 'users')"
    )
    assert not out.exists()


def test_config_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "omnicloud.toml"
    path.write_text('[data.users]\nfields = { id = "uuid", n = "int:5..1" }\n', encoding="utf-8")
    assert main(["data", "-c", str(path), "--out", str(tmp_path / "o")]) == ExitCode.CONFIG
    assert capsys.readouterr().err.splitlines()[0] == (
        f"error: {path}:2:25: data.users.fields.n.type: min (5) is greater than max (1)"
    )


def test_an_unwritable_folder_leaves_nothing_half_written(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = config.parent / "file"
    blocker.write_text("not a folder")
    code = main(["data", "-c", str(config), "--out", str(blocker / "sub")])
    assert code == ExitCode.INFRASTRUCTURE
    assert capsys.readouterr().err.startswith(f"error: cannot write {blocker / 'sub'}")
    assert blocker.read_text() == "not a folder"
