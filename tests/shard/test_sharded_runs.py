"""Shards as separate pytest processes: merged, they are exactly the unsharded run."""

from __future__ import annotations

from pathlib import Path

import pytest
from shard_helpers import run_omnicloud, run_pytest

from omnicloud.shard.junit import (
    SHARD_PROPERTY,
    case_id,
    case_outcome,
    cases,
    read_junit,
    suite_property,
)


def outcomes(path: Path) -> list[tuple[str, str]]:
    return sorted((case_id(c), case_outcome(c)) for _s, c in cases(read_junit(path)))


# The tests reading four_shards run on one xdist worker: its five pytest runs happen once, not
# once on every worker that draws one of them.
ON_FOUR_SHARDS = pytest.mark.xdist_group("four_shards")


@pytest.fixture(scope="module")
def four_shards(shared_project: Path) -> Path:
    """The whole suite once (whole.xml) and as 4 shard processes (shards/s<i>.xml)."""
    whole = run_pytest(shared_project, "--junitxml=whole.xml")
    assert whole.returncode == 1, whole.stdout + whole.stderr
    for index in range(1, 5):
        shard = run_pytest(shared_project, f"--shard={index}/4", f"--junitxml=shards/s{index}.xml")
        assert shard.returncode in (0, 1), shard.stdout + shard.stderr
    return shared_project


@ON_FOUR_SHARDS
def test_four_shards_merged_equal_the_unsharded_run(four_shards: Path) -> None:
    expected = outcomes(four_shards / "whole.xml")
    assert len(expected) == 19
    per_shard = [outcomes(four_shards / f"shards/s{i}.xml") for i in range(1, 5)]
    assert all(per_shard), "every shard ran something"
    combined = sorted(t for shard in per_shard for t in shard)
    assert combined == expected  # no test lost, none duplicated, same outcomes

    # --no-durations: the later tests re-run shards and need the same partition.
    merged = run_omnicloud(
        four_shards,
        "merge",
        "--no-durations",
        "--expect",
        "4",
        "-o",
        "merged.xml",
        "--failed-ids",
        "failed.txt",
        "shards",
    )
    assert merged.returncode == 1, merged.stderr  # the project has failing tests
    assert outcomes(four_shards / "merged.xml") == expected
    assert "merged 4 file(s): 19 tests, 15 passed, 2 failed, 1 errors, 1 skipped" in merged.stderr


@ON_FOUR_SHARDS
def test_the_slow_test_gets_a_shard_of_its_own(four_shards: Path) -> None:
    assert outcomes(four_shards / "shards/s1.xml") == [("test_alpha.py::test_slow", "passed")]


@ON_FOUR_SHARDS
def test_failed_ids_rerun_exactly_the_failures(four_shards: Path) -> None:
    if not (four_shards / "failed.txt").exists():
        run_omnicloud(
            four_shards, "merge", "--no-durations", "--failed-ids", "failed.txt", "shards"
        )
    ids = (four_shards / "failed.txt").read_text().splitlines()
    assert ids == [
        "pkg/test_beta.py::TestBeta::test_three",
        "test_alpha.py::test_error",
        "test_alpha.py::test_number[7]",
    ]
    # CI variables are still set in a re-run job: --shard off runs the listed tests unsharded.
    rerun = run_pytest(
        four_shards,
        "--shard=off",
        "@failed.txt",
        "--junitxml=rerun.xml",
        CI_NODE_INDEX="1",
        CI_NODE_TOTAL="2",
    )
    assert rerun.returncode == 1
    assert [t for t, _o in outcomes(four_shards / "rerun.xml")] == ids


@ON_FOUR_SHARDS
def test_xdist_workers_run_exactly_the_shard(four_shards: Path) -> None:
    for index in (2, 3):
        xdist = run_pytest(four_shards, "-n", "2", f"--shard={index}/4", f"--junitxml=x{index}.xml")
        assert xdist.returncode in (0, 1), xdist.stdout + xdist.stderr
        assert outcomes(four_shards / f"x{index}.xml") == outcomes(
            four_shards / f"shards/s{index}.xml"
        )
        suites = list(read_junit(four_shards / f"x{index}.xml"))
        assert suite_property(suites[0], SHARD_PROPERTY) == f"{index}/4"


def test_shards_record_their_index_for_merge(shared_project: Path) -> None:
    project = shared_project
    run_pytest(project, "--junitxml=s.xml", CI_NODE_INDEX="2", CI_NODE_TOTAL="3")
    suites = list(read_junit(project / "s.xml"))
    assert [suite_property(s, SHARD_PROPERTY) for s in suites] == ["2/3"]


@ON_FOUR_SHARDS
def test_kubernetes_completion_index_selects_the_same_shard_as_the_option(
    four_shards: Path,
) -> None:
    run_pytest(four_shards, "--junitxml=k.xml", JOB_COMPLETION_INDEX="2", OMNICLOUD_SHARD_COUNT="4")
    assert outcomes(four_shards / "k.xml") == outcomes(four_shards / "shards/s3.xml")


def test_class_grouping_keeps_a_class_together(project: Path) -> None:
    owners = {}
    for index in (1, 2, 3):
        run_pytest(project, f"--shard={index}/3", "--shard-group=class", f"--junitxml=g{index}.xml")
        for test, _outcome in outcomes(project / f"g{index}.xml"):
            owners[test] = index
    beta = {owners[t] for t in owners if "::TestBeta::" in t}
    assert len(beta) == 1
    assert len(owners) == 19


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("5/4", "ERROR: --shard: invalid shard '5/4': the shard index must be between 1 and 4"),
        ("0/3", "ERROR: --shard: invalid shard '0/3': the shard index must be between 1 and 3"),
        ("x", "ERROR: --shard: invalid shard 'x': not of the form i/N"),
    ],
)
def test_bad_shard_values_are_usage_errors(shared_project: Path, value: str, message: str) -> None:
    result = run_pytest(shared_project, f"--shard={value}")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.splitlines()[:2] == [
        message,
        "  hint: accepted: i/N with 1 <= i <= N (e.g. 2/4), or 'off'",
    ]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
def test_an_empty_shard_succeeds(shared_project: Path, workers: list[str]) -> None:
    """19 tests in 20 shards: one shard has nothing to run, which is not a failure."""
    result = run_pytest(shared_project, *workers, "--shard=20/20")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no tests ran" in result.stdout or "19 deselected" in result.stdout
