"""Isolation: per-test, per-worker seeds; parallel xdist workers get disjoint data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datahelp import users

from omnicloud.data import Generator, derive_seed, namespace_for


def test_derive_seed_is_pure_and_separates_tests_and_workers() -> None:
    assert derive_seed(42, "t.py::a", "gw0") == derive_seed(42, "t.py::a", "gw0")
    seeds = {
        derive_seed(base, test, worker)
        for base in (1, 42)
        for test in ("t::a", "t::b")
        for worker in ("gw0", "gw1", "main")
    }
    assert len(seeds) == 12
    assert all(0 <= s < 2**64 for s in seeds)
    # pinned: the derivation is part of the data contract (BLAKE2b, no hash randomisation)
    assert derive_seed(42, "tests/test_a.py::test_x", "gw0") == 14549309876562459558


def test_namespaces_differ_per_test_and_worker() -> None:
    names = {namespace_for(t, w) for t in ("a", "b") for w in ("gw0", "gw1")}
    assert len(names) == 4
    assert all(n.startswith("t-") and len(n) == 14 for n in names)


def test_tests_and_workers_get_disjoint_records() -> None:
    data = users(count=200)
    ids = [
        set(Generator(data, test_id=t, worker_id=w).generate("users").column("id"))
        for t in ("m::a", "m::b")
        for w in ("gw0", "gw1")
    ]
    assert sum(len(s) for s in ids) == len(set().union(*ids)) == 800


def test_references_stay_consistent_inside_a_test() -> None:
    from datahelp import datasets

    data = datasets(
        users={"count": 10, "seed": 1, "fields": {"id": "uuid"}},
        orders={"count": 30, "seed": 2, "fields": {"user": "ref:users.id"}},
    )
    generator = Generator(data, test_id="m::a", worker_id="gw1")
    assert set(generator.generate("orders").column("user")) <= set(
        generator.generate("users").column("id")
    )
    assert generator.generate("users").seed == derive_seed(1, "m::a", "gw1")


INNER = """\
import json, os, pathlib
import pytest

@pytest.mark.parametrize("n", range(8))
def test_users(omnicloud_data, n):
    users = omnicloud_data("users")
    pathlib.Path({out!r}, f"{{n}}.json").write_text(json.dumps({{
        "worker": os.environ.get("PYTEST_XDIST_WORKER"),
        "namespace": omnicloud_data.namespace,
        "ids": [u["id"] for u in users], "emails": [u["email"] for u in users]}}))
"""


def run_inner(pytester: pytest.Pytester, out: Path, *args: str) -> list[dict[str, object]]:
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=8)
    return [json.loads((out / f"{n}.json").read_text()) for n in range(8)]


def test_parallel_workers_get_disjoint_data(pytester: pytest.Pytester, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makefile(
        ".toml",
        omnicloud="[data.users]\ncount = 50\nseed = 42\nfields = {"
        ' id = "uuid", email = { type = "email", unique = true } }\n',
    )
    pytester.makepyfile(test_inner=INNER.format(out=str(out)))
    runs = run_inner(pytester, out, "-n", "2")
    assert {r["worker"] for r in runs} == {"gw0", "gw1"}
    all_ids = [i for r in runs for i in r["ids"]]  # type: ignore[attr-defined]
    assert len(all_ids) == len(set(all_ids)) == 400
    all_emails = [e for r in runs for e in r["emails"]]  # type: ignore[attr-defined]
    assert len(set(all_emails)) > 390  # unique within a test; other tests' draws are unrelated
    assert len({r["namespace"] for r in runs}) == 8
