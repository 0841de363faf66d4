"""The ``omnicloud_data`` fixture through pytest itself (pytester)."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from omnicloud.cli import main
from omnicloud.providers.memory.kv import InMemoryKVStore

CONFIG = """\
[data.users]
count = 8
seed = 42
fields = { id = "uuid", name = "name", email = "email", created_at = "timestamp" }

[data.orders]
count = 20
seed = 7
fields = { id = "uuid", user = "ref:users.id", total = "float:1..500" }
"""

INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"

INNER = """\
import json, pathlib
from omnicloud.providers.memory.kv import InMemoryKVStore

OUT = pathlib.Path({out!r})

async def _load_and_record(omnicloud_data, name):
    kv = InMemoryKVStore(namespace={store!r})
    async with omnicloud_data.load("users", kv) as loaded:
        present = [await kv.get(a) is not None for a in loaded.addresses]
        (OUT / f"{{name}}.json").write_text(json.dumps(
            {{"addresses": list(loaded.addresses), "present": present,
              "namespace": omnicloud_data.namespace}}))
        return loaded

async def test_passes(omnicloud_data):
    await _load_and_record(omnicloud_data, "passes")

async def test_fails(omnicloud_data):
    await _load_and_record(omnicloud_data, "fails-before")
    kv = InMemoryKVStore(namespace={store!r})
    async with omnicloud_data.load("users", kv) as loaded:
        (OUT / "fails.json").write_text(json.dumps({{"addresses": list(loaded.addresses)}}))
        assert False, "the test fails while its data is loaded"

def test_records(omnicloud_data):
    users = omnicloud_data("users")
    orders = omnicloud_data("orders")
    assert {{o["user"] for o in orders}} <= {{u["id"] for u in users}}
    assert omnicloud_data("users", count=3) == users[:3]
    assert omnicloud_data.dataset("users").seed == omnicloud_data.seed("users") != 42
    (OUT / "records.jsonl").write_text(
        "".join(json.dumps(u, separators=(",", ":"), ensure_ascii=False) + "\\n"
                for u in users))
"""


@pytest.fixture(autouse=True)
def outside_xdist(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner, in-process runs are not xdist workers even when this test runs in one."""
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_TESTRUNUID", raising=False)


@pytest.fixture
def project(pytester: pytest.Pytester, tmp_path: Path) -> tuple[pytest.Pytester, Path, str]:
    out = tmp_path / "out"
    out.mkdir()
    store = f"omnicloud-data-test-{id(tmp_path)}"
    pytester.makefile(".toml", omnicloud=CONFIG)
    pytester.makeini(INI)
    pytester.makepyfile(test_inner=INNER.format(out=str(out), store=store))
    return pytester, out, store


def test_loaded_records_are_gone_after_the_test_pass_or_fail(
    project: tuple[pytest.Pytester, Path, str],
) -> None:
    pytester, out, store = project
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-p", "no:randomly", "--junitxml", str(out / "junit.xml")
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*the test fails while its data is loaded*"])
    kv = InMemoryKVStore(namespace=store)
    passed = json.loads((out / "passes.json").read_text())
    assert passed["present"] == [True] * 8  # the data was there during the test
    failed = json.loads((out / "fails.json").read_text())
    addresses = passed["addresses"] + failed["addresses"]
    assert len(addresses) == 16

    async def leftovers() -> list[str]:
        return [a for a in addresses if await kv.get(a) is not None]

    # the outer test is sync: the inner pytest run needs its own event loop
    assert asyncio.run(leftovers()) == []
    # each test has its own namespace, and every key carries it
    before = json.loads((out / "fails-before.json").read_text())
    assert passed["namespace"] != before["namespace"]
    assert all(a.startswith(passed["namespace"] + ":users:") for a in passed["addresses"])

    properties = {
        p.get("name"): p.get("value") for p in ET.parse(out / "junit.xml").iter("property")
    }
    recorded = properties["omnicloud.data.users"]
    assert recorded is not None
    assert recorded.startswith("seed=")
    assert " worker=main sha256:" in recorded


def test_cli_reproduces_the_data_a_test_got(
    project: tuple[pytest.Pytester, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    pytester, out, _ = project
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-k", "test_records").assert_outcomes(
        passed=1
    )
    code = main(
        [
            "data",
            "users",
            "-c",
            str(pytester.path / "omnicloud.toml"),
            "--out",
            str(out / "cli"),
            "--format",
            "jsonl",
            "--test-id",
            "test_inner.py::test_records",
            "--worker",
            "main",
        ]
    )
    assert code == 0
    assert (out / "cli" / "users.jsonl").read_bytes() == (out / "records.jsonl").read_bytes()
    # without --test-id the export is the configured dataset, which the test did not get
    main(
        [
            "data",
            "users",
            "-c",
            str(pytester.path / "omnicloud.toml"),
            "--out",
            str(out / "plain"),
            "--format",
            "jsonl",
        ]
    )
    assert (out / "plain" / "users.jsonl").read_bytes() != (out / "records.jsonl").read_bytes()
    capsys.readouterr()


def test_a_config_error_fails_the_test_with_the_reason(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI + "omnicloud_collect = explicit\n")
    pytester.makefile(".toml", omnicloud='[data.users]\nfields = { id = "uid" }\n')
    pytester.makepyfile(test_none="def test_x(omnicloud_data):\n    omnicloud_data('users')\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*omnicloud_data: error: *omnicloud.toml:2:12:"
            " data.users.fields.id.type: unknown field type 'uid';"
            " did you mean 'uuid'?*"
        ]
    )
