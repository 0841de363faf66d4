"""The durations store: JSON, atomic writes, merging, JUnit addresses."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from omnicloud.errors import ResultsError
from omnicloud.shard.durations import (
    junit_address,
    load_durations,
    lookup_table,
    merge_durations,
    save_durations,
    update_durations,
)


def test_a_missing_store_is_empty(tmp_path: Path) -> None:
    assert load_durations(tmp_path / "nope.json") == {}


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    path = tmp_path / ".omnicloud" / "durations.json"
    save_durations(path, {"b::t": 2.5, "a::t": 0.1234567})
    assert load_durations(path) == {"a::t": 0.123457, "b::t": 2.5}
    data = json.loads(path.read_text())
    assert data["version"] == 1
    assert list(data["durations"]) == ["a::t", "b::t"]
    assert [p.name for p in path.parent.iterdir()] == ["durations.json"]  # no temp files left


def test_a_failed_write_leaves_the_old_store_intact(tmp_path: Path) -> None:
    path = tmp_path / "durations.json"
    save_durations(path, {"a": 1.0})
    with pytest.raises(TypeError):
        save_durations(path, {"a": object()})  # type: ignore[dict-item]
    assert load_durations(path) == {"a": 1.0}
    assert sorted(os.listdir(tmp_path)) == ["durations.json"]


def test_pytest_split_format_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / ".test_durations"
    path.write_text(json.dumps({"tests/test_a.py::test_x": 3}))
    assert load_durations(path) == {"tests/test_a.py::test_x": 3.0}


def test_invalid_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "durations.json"
    path.write_text('{"version": 1,\n "durations": {"a": 1,,}}')
    with pytest.raises(ResultsError) as caught:
        load_durations(path)
    assert caught.value.message.startswith(f"{path}:2:23: the durations store is not valid JSON")


@pytest.mark.parametrize("bad", ["-1", '"fast"', "true", "null"])
def test_a_bad_duration_names_the_test(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "durations.json"
    path.write_text('{"version": 1, "durations": {"t::x": ' + bad + "}}")
    with pytest.raises(ResultsError, match=r"durations\.t::x: expected a non-negative number"):
        load_durations(path)


def test_later_stores_win_and_others_are_kept() -> None:
    assert merge_durations({"a": 1.0, "b": 2.0}, {"b": 3.0}, {"c": 4.0}) == {
        "a": 1.0,
        "b": 3.0,
        "c": 4.0,
    }


def test_update_merges_into_the_file(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    save_durations(path, {"a": 1.0, "b": 2.0})
    assert update_durations(path, {"b": 5.0}) == {"a": 1.0, "b": 5.0}
    assert load_durations(path) == {"a": 1.0, "b": 5.0}


@pytest.mark.parametrize(
    ("nodeid", "address"),
    [
        ("tests/test_a.py::test_x", "tests.test_a::test_x"),
        ("tests/test_a.py::TestK::test_y[a/b::c]", "tests.test_a.TestK::test_y[a/b::c]"),
        (
            "omnicloud.toml::memory-kv:kv_store::test_get",
            "omnicloud.toml.memory-kv:kv_store::test_get",
        ),
    ],
)
def test_junit_address_follows_pytest_mangling(nodeid: str, address: str) -> None:
    assert junit_address(nodeid) == address


def test_lookup_finds_durations_by_node_id_or_junit_address() -> None:
    durations = {"t.py::a": 1.0, "t::b": 2.0, "other": 9.0}
    assert lookup_table(durations, ["t.py::a", "t.py::b", "t.py::c"]) == {
        "t.py::a": 1.0,
        "t.py::b": 2.0,
    }


def test_durations_are_read_from_junit_by_node_id_or_address(tmp_path: Path) -> None:
    from omnicloud.shard.junit import durations_from_junit

    path = tmp_path / "j.xml"
    path.write_text(
        '<testsuite><testcase classname="tests.test_a" name="test_x" time="1.25">'
        '<properties><property name="omnicloud.nodeid" value="tests/test_a.py::test_x"/>'
        '</properties></testcase><testcase classname="m" name="t" time="0.5"/></testsuite>'
    )
    assert durations_from_junit([path]) == {"tests/test_a.py::test_x": 1.25, "m::t": 0.5}
