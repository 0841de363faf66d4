"""Generated CI configurations parse, and the commands they contain run here."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from shard_helpers import clean_env

from omnicloud.ci import github, gitlab
from omnicloud.ci.github import CiOptions
from omnicloud.cli import main
from omnicloud.errors import ExitCode
from omnicloud.shard.junit import case_id, cases, read_junit


def generated(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["ci", *args]) == ExitCode.OK
    return capsys.readouterr().out


@pytest.mark.parametrize("shards", [1, 4, 8])
def test_github_workflow_parses_with_a_shard_matrix_and_a_merge_job(
    capsys: pytest.CaptureFixture[str], shards: int
) -> None:
    workflow = yaml.safe_load(generated(capsys, "github", "--shards", str(shards)))
    certify, merge = workflow["jobs"]["certify"], workflow["jobs"]["merge"]
    assert certify["strategy"]["matrix"] == {"shard": list(range(1, shards + 1))}
    assert certify["strategy"]["fail-fast"] is False
    runs = [s["run"] for s in certify["steps"] if "run" in s]
    assert f"omnicloud certify --shard ${{{{ matrix.shard }}}}/{shards}" in runs[-1]
    assert merge["needs"] == "certify"
    assert merge["if"] == "always()"
    merge_runs = [s["run"] for s in merge["steps"] if "run" in s]
    assert merge_runs[-1].startswith(f"omnicloud merge --expect {shards} ")
    assert all("\n" not in r for r in runs + merge_runs)


def test_matrix_json_is_what_fromjson_needs(capsys: pytest.CaptureFixture[str]) -> None:
    text = generated(capsys, "github", "--shards", "3", "--matrix-json")
    assert text == '{"shard":[1,2,3]}\n'
    assert json.loads(text) == github.matrix(3)


def test_gitlab_pipeline_parses_with_parallel_jobs_and_junit_reports(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pipeline = yaml.safe_load(generated(capsys, "gitlab", "--shards", "4", "--image", "acme:1"))
    certify, merge = pipeline["omnicloud-certify"], pipeline["omnicloud-merge"]
    assert certify["parallel"] == 4
    assert certify["image"] == "acme:1"
    assert certify["artifacts"]["reports"]["junit"] == "omnicloud-results/shard-*/**/*.xml"
    assert certify["artifacts"]["when"] == "always"
    assert certify["script"][-1] == (
        "omnicloud certify --shard ${CI_NODE_INDEX}/${CI_NODE_TOTAL}"
        " --results-dir omnicloud-results/shard-${CI_NODE_INDEX}"
    )
    assert merge["needs"] == [{"job": "omnicloud-certify", "artifacts": True}]
    assert merge["when"] == "always"
    assert merge["script"][-1].startswith("omnicloud merge --expect 4 ")


def test_one_gitlab_shard_is_a_plain_job(capsys: pytest.CaptureFixture[str]) -> None:
    job = yaml.safe_load(generated(capsys, "gitlab", "--shards", "1"))["omnicloud-certify"]
    assert "parallel" not in job
    assert job["variables"] == {"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "1"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["github", "--shards", "0"], "error: omnicloud ci github: --shards: 0 is outside 1..256"),
        (
            ["gitlab", "--shards", "201"],
            "error: omnicloud ci gitlab: --shards: GitLab runs at most 200 parallel jobs, got 201",
        ),
    ],
)
def test_bad_shard_counts_are_selection_errors(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["ci", *args]) == ExitCode.SELECTION
    assert capsys.readouterr().err.splitlines()[0] == message


def test_custom_commands_must_be_one_line() -> None:
    with pytest.raises(ValueError, match="shard_command must be one line"):
        CiOptions(shards=2, shard_command="a\nb")


TINY_CONFIG = """\
[project]
name = "tiny"
[sessions]
venv = "none"
[providers.memory-kv]
contract = "kv_store"
factory = "omnicloud.providers.memory.kv:InMemoryKVStore"
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    (tmp_path / "omnicloud.toml").write_text(TINY_CONFIG)
    return tmp_path


def bash(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def collected(project: Path) -> list[str]:
    listing = bash("python -m pytest omnicloud.toml --collect-only -q -p no:cacheprovider", project)
    return sorted(line for line in listing.stdout.splitlines() if "::" in line)


@pytest.mark.slow
def test_github_commands_run_locally_and_merge_to_the_whole_suite(tiny: Path) -> None:
    options = CiOptions(shards=2)
    for shard in (1, 2):
        done = bash(github.shard_command(options, str(shard)), tiny)
        assert done.returncode == 0, done.stdout + done.stderr
    # download-artifact puts each shard's artifact in its own folder under the merge path.
    shards = tiny / "omnicloud-results" / "shards"
    shards.mkdir()
    for shard in (1, 2):
        os.rename(
            tiny / "omnicloud-results" / f"shard-{shard}", shards / f"omnicloud-shard-{shard}"
        )
    merged = bash(github.merge_command(options), tiny)
    assert merged.returncode == 0, merged.stderr
    merged_ids = sorted(
        case_id(c) for _s, c in cases(read_junit(tiny / "omnicloud-results" / "junit-merged.xml"))
    )
    assert merged_ids == collected(tiny)
    assert (tiny / ".omnicloud" / "durations.json").is_file()


@pytest.mark.slow
def test_gitlab_commands_run_locally_with_the_ci_node_variables(tiny: Path) -> None:
    options = CiOptions(shards=2)
    for shard in ("1", "2"):
        done = bash(gitlab.shard_command(options), tiny, CI_NODE_INDEX=shard, CI_NODE_TOTAL="2")
        assert done.returncode == 0, done.stdout + done.stderr
    merged = bash(gitlab.merge_command(options), tiny)  # bash expands omnicloud-results/shard-*
    assert merged.returncode == 0, merged.stderr
    assert (tiny / "omnicloud-results" / "failed.txt").read_text() == ""  # nothing failed
    assert "merged 2 file(s)" in merged.stderr
    assert (
        "omnicloud.toml.memory-kv:kv_store"
        in (tiny / "omnicloud-results" / "junit-merged.xml").read_text()
    )
