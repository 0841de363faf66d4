"""The planned sessions are cached by the configuration's digest: a noxfile load with a current
cache imports no models, and any change the plan depends on is noticed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from omnicloud import nox_sessions
from omnicloud.nox_sessions import PLAN_CACHE, load_plan, plan_digest

KV = (
    '[providers.{name}]\ncontract = "kv_store"\n'
    'factory = "omnicloud.providers.memory.kv:InMemoryKVStore"\n'
)


def write_config(folder: Path, *providers: str, extra: str = "") -> Path:
    path = folder / "omnicloud.toml"
    path.write_text("".join(KV.format(name=p) for p in providers) + extra, encoding="utf-8")
    return path


def names(path: Path) -> set[str]:
    return {s.name for s in load_plan(path).sessions}


def test_the_plan_is_written_once_and_read_back_equal(tmp_path: Path) -> None:
    config = write_config(tmp_path, "alpha")
    first = load_plan(config)
    cache = json.loads((tmp_path / PLAN_CACHE).read_text(encoding="utf-8"))
    assert cache["digest"] == plan_digest(config)
    assert load_plan(config) == first
    assert "certify-alpha" in {s.name for s in first.sessions}


def test_a_cached_plan_loads_without_pydantic_or_the_models(tmp_path: Path) -> None:
    config = write_config(tmp_path, "alpha")
    program = (
        "import sys\nfrom omnicloud.nox_sessions import load_plan\n"
        f"plan = load_plan({str(config)!r})\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'omnicloud.config.m'))))"
    )

    def imported() -> str:
        done = subprocess.run(
            [sys.executable, "-c", program], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    assert "pydantic" in imported()  # no cache yet: the configuration is loaded and validated
    assert imported() == "[]"  # the cache is current: nothing of the kind is imported


def test_an_edited_configuration_is_planned_again(tmp_path: Path) -> None:
    config = write_config(tmp_path, "alpha")
    assert "certify-beta" not in names(config)
    write_config(tmp_path, "alpha", "beta")
    assert "certify-beta" in names(config)


def test_a_changed_interpolated_variable_is_planned_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, "alpha", extra='[sessions]\npython = "${OC_TEST_PY:-3.11}"\n')
    monkeypatch.delenv("OC_TEST_PY", raising=False)
    assert load_plan(config).python == "3.11"
    monkeypatch.setenv("OC_TEST_PY", "3.12")
    assert load_plan(config).python == "3.12"


def test_changed_planning_code_is_planned_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, "alpha")
    code = tmp_path / "plan.py"
    code.write_text("x = 1\n")
    monkeypatch.setattr(nox_sessions, "_planning_files", lambda: [code])
    before = plan_digest(config)
    code.write_text("x = 22\n")
    os.utime(code, ns=(1, 1))
    assert plan_digest(config) != before


def test_a_corrupt_cache_is_replanned(tmp_path: Path) -> None:
    config = write_config(tmp_path, "alpha")
    load_plan(config)
    (tmp_path / PLAN_CACHE).write_text("{not json", encoding="utf-8")
    assert "certify-alpha" in names(config)
    assert json.loads((tmp_path / PLAN_CACHE).read_text())["digest"] == plan_digest(config)


def test_a_configuration_broken_after_caching_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, "alpha")
    load_plan(config)
    config.write_text('[providers.alpha]\ncontract = "no_such_contract"\n', encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        load_plan(config)
    assert exit_info.value.code == 2
    assert "omnicloud.toml" in capsys.readouterr().err
