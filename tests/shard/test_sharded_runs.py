"""Shards as separate pytest processes: merged, they are exactly the unsharded run."""

from __future__ import annotations

from pathlib import Path

import pytest
from shard_helpers import run_omnicloud, run_pytest

from omnicloud.merge import merge_junit
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


def test_four_shards_merged_equal_the_unsharded_run(project: Path):
    whole = run_pytest(project, "--junitxml=whole.xml")
    assert whole.returncode == 1, whole.stdout + whole.stderr
    expected = outcomes(project / "whole.xml")
    assert len(expected) == 19
    for index in range(1, 5):
        shard = run_pytest(project, f"--shard={index}/4", f"--junitxml=shards/s{index}.xml")
        assert shard.returncode in (0, 1), shard.stdout + shard.stderr
    per_shard = [outcomes(project / f"shards/s{i}.xml") for i in range(1, 5)]
    assert all(per_shard), "every shard ran something"
    combined = sorted(t for shard in per_shard for t in shard)
    assert combined == expected  # no test lost, none duplicated, same outcomes

    merged = run_omnicloud(project, "merge", "--expect", "4", "-o", "merged.xml", "shards")
    assert merged.returncode == 1, merged.stderr  # the project has failing tests
    assert outcomes(project / "merged.xml") == expected
    assert "merged 4 file(s): 19 tests, 15 passed, 2 failed, 1 errors, 1 skipped" in merged.stderr


def test_the_slow_test_gets_a_shard_of_its_own(project: Path):
    run_pytest(project, "--shard=1/4", "--junitxml=s1.xml")
    assert outcomes(project / "s1.xml") == [("test_alpha.py::test_slow", "passed")]


def test_shards_record_their_index_for_merge(project: Path):
    run_pytest(project, "--junitxml=s.xml", CI_NODE_INDEX="2", CI_NODE_TOTAL="3")
    suites = list(read_junit(project / "s.xml"))
    assert [suite_property(s, SHARD_PROPERTY) for s in suites] == ["2/3"]


def test_kubernetes_completion_index_selects_the_same_shard_as_the_option(project: Path):
    run_pytest(project, "--junitxml=k.xml", JOB_COMPLETION_INDEX="2", OMNICLOUD_SHARD_COUNT="4")
    run_pytest(project, "--shard=3/4", "--junitxml=o.xml")
    assert outcomes(project / "k.xml") == outcomes(project / "o.xml")


def test_xdist_workers_run_exactly_the_shard(project: Path):
    for index in (1, 2):
        plain = run_pytest(project, f"--shard={index}/2", f"--junitxml=p{index}.xml")
        xdist = run_pytest(project, "-n", "2", f"--shard={index}/2", f"--junitxml=x{index}.xml")
        assert xdist.returncode == plain.returncode, xdist.stdout + xdist.stderr
        assert outcomes(project / f"x{index}.xml") == outcomes(project / f"p{index}.xml")
        suites = list(read_junit(project / f"x{index}.xml"))
        assert suite_property(suites[0], SHARD_PROPERTY) == f"{index}/2"
    result = merge_junit([project / "x1.xml", project / "x2.xml"])
    assert result.problems == []
    run_pytest(project, "--junitxml=whole.xml")
    assert sorted(result.outcomes.items()) == outcomes(project / "whole.xml")


def test_class_grouping_keeps_a_class_together(project: Path):
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
def test_bad_shard_values_are_usage_errors(project: Path, value: str, message: str):
    result = run_pytest(project, f"--shard={value}")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.splitlines()[:2] == [
        message,
        "  hint: accepted: i/N with 1 <= i <= N (e.g. 2/4), or 'off'",
    ]


def test_failed_ids_rerun_exactly_the_failures(project: Path):
    for index in (1, 2):
        run_pytest(project, f"--shard={index}/2", f"--junitxml=shards/s{index}.xml")
    merged = run_omnicloud(
        project,
        "merge",
        "--failed-ids",
        "failed.txt",
        "-o",
        "m.xml",
        "shards",
        CI_NODE_INDEX="1",
        CI_NODE_TOTAL="2",
    )
    assert merged.returncode == 1, merged.stderr
    ids = (project / "failed.txt").read_text().splitlines()
    assert ids == [
        "pkg/test_beta.py::TestBeta::test_three",
        "test_alpha.py::test_error",
        "test_alpha.py::test_number[7]",
    ]
    # CI variables are still set in a re-run job: --shard off runs the listed tests unsharded.
    rerun = run_pytest(
        project,
        "--shard=off",
        "@failed.txt",
        "--junitxml=rerun.xml",
        CI_NODE_INDEX="1",
        CI_NODE_TOTAL="2",
    )
    assert rerun.returncode == 1
    assert [t for t, _o in outcomes(project / "rerun.xml")] == ids
