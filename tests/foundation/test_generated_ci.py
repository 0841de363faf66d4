"""Generated CI configurations are ones a team would commit: linted by actionlint and the GitLab
CI schema, installing the project and the tool from sources that exist, the servers of the chosen
environment, OMNICLOUD_ENV, full history where ``affected`` runs, permissions, caching,
cancellation of superseded runs and no double run on pull requests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from omnicloud.ci.setup import TOOL_SOURCE

BIN = Path(sys.executable).parent

SCRATCH_CONFIG = """\
[project]
name = "acme"
base_ref = "origin/trunk"
[sessions]
extras = ["redis"]
[services.redis]
recipe = "redis"
[services.etcd]
recipe = "etcd"
[environments.local]
provisioner = "process"
[environments.ci]
provisioner = "docker"
[providers.acme-kv]
contract = "kv_store"
factory = "acme.kv:KV"
services = ["redis"]
"""


def tool(name: str) -> str:
    path = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    assert path, f"{name} is part of the [dev] extra (pip install -e '.[dev]')"
    return path


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    (tmp_path / "omnicloud.toml").write_text(SCRATCH_CONFIG)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "acme"\nversion = "1"\n')
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "kv.py").write_text("class KV:\n    pass\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def generate(project: Path, *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "omnicloud"), "ci", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job["steps"])


def test_github_workflow_passes_actionlint_and_the_schema(scratch: Path) -> None:
    text = generate(scratch, "github", "--shards", "3", "--env", "local")
    workflows = scratch / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "omnicloud.yml").write_text(text)
    lint = subprocess.run(
        [tool("actionlint")], cwd=scratch, capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    schema = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
         str(workflows / "omnicloud.yml")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert schema.returncode == 0, schema.stdout + schema.stderr


def test_github_workflow_installs_project_tool_and_servers(scratch: Path) -> None:
    workflow = yaml.safe_load(generate(scratch, "github", "--shards", "2", "--env", "local"))
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is True
    # 'on' parses as True in YAML 1.1: pushes to the base branch only, plus pull requests.
    triggers = workflow[True]
    assert triggers["push"] == {"branches": ["trunk"]}
    assert "pull_request" in triggers
    assert workflow["env"] == {"OMNICLOUD_ENV": "local"}
    certify = steps(workflow["jobs"]["certify"])
    python = next(s for s in certify if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["cache"] == "pip"
    assert "pyproject.toml" in python["with"]["cache-dependency-path"]
    runs = [s["run"] for s in certify if "run" in s]
    assert "redis-server" in runs[0]
    assert "etcd-server" in runs[0]
    assert "apt-get install" in runs[0]
    assert runs[1] == (f"python -m pip install -e . 'open-omni-cloud-tck[redis] @ {TOOL_SOURCE}'")
    merge_runs = [s["run"] for s in steps(workflow["jobs"]["merge"]) if "run" in s]
    assert not any("apt-get" in r for r in merge_runs)  # merging needs no servers


def test_affected_commands_get_the_full_history(scratch: Path) -> None:
    plain = yaml.safe_load(generate(scratch, "github", "--shards", "1"))
    checkout = steps(plain["jobs"]["certify"])[0]
    assert "with" not in checkout
    text = generate(
        scratch, "github", "--shards", "1", "--shard-command", "omnicloud affected --run"
    )
    checkout = steps(yaml.safe_load(text)["jobs"]["certify"])[0]
    assert checkout["with"]["fetch-depth"] == 0
    gitlab = yaml.safe_load(
        generate(scratch, "gitlab", "--shards", "2", "--shard-command", "omnicloud affected")
    )
    assert gitlab["variables"]["GIT_DEPTH"] == 0


def test_docker_environment_installs_the_docker_client_not_servers(scratch: Path) -> None:
    workflow = yaml.safe_load(generate(scratch, "github", "--shards", "1", "--env", "ci"))
    runs = [s["run"] for s in steps(workflow["jobs"]["certify"]) if "run" in s]
    assert not any("apt-get" in r for r in runs)
    assert "open-omni-cloud-tck[docker,redis] @" in runs[0]
    assert workflow["env"] == {"OMNICLOUD_ENV": "ci"}


def test_gitlab_pipeline_passes_the_schema_and_sets_everything(scratch: Path) -> None:
    text = generate(scratch, "gitlab", "--shards", "2", "--env", "local")
    path = scratch / ".gitlab-ci.yml"
    path.write_text(text)
    schema = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert schema.returncode == 0, schema.stdout + schema.stderr
    pipeline = yaml.safe_load(text)
    assert pipeline["variables"]["OMNICLOUD_ENV"] == "local"
    assert pipeline["default"] == {"interruptible": True}
    rules = pipeline["workflow"]["rules"]
    assert {"if": "$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS", "when": "never"} in rules
    before = pipeline["omnicloud-certify"]["before_script"]
    assert "redis-server" in before[0]
    assert "etcd-server" in before[0]
    assert before[1].startswith("python -m pip install -e . ")
    caches = {c["key"]: c for c in pipeline["omnicloud-certify"]["cache"]}
    assert caches["omnicloud-pip"]["paths"] == [".cache/pip"]


@pytest.mark.parametrize("shards", ["1", "3"])
def test_gitlab_docker_environment_gets_a_docker_in_docker_engine(
    scratch: Path, shards: str
) -> None:
    """GitLab jobs run in a container with no engine: the docker environment gets one as a
    service, and DOCKER_HOST names it (the provisioner then connects to it by that name)."""
    text = generate(scratch, "gitlab", "--shards", shards, "--env", "ci")
    path = scratch / ".gitlab-ci.yml"
    path.write_text(text)
    schema = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert schema.returncode == 0, schema.stdout + schema.stderr
    pipeline = yaml.safe_load(text)
    assert pipeline["variables"]["DOCKER_HOST"] == "tcp://docker:2375"
    assert pipeline["variables"]["DOCKER_TLS_CERTDIR"] == ""
    (service,) = pipeline["omnicloud-certify"]["services"]
    assert service["alias"] == "docker"
    assert service["name"].startswith("docker:")
    assert service["name"].endswith("-dind")
    assert "services" not in pipeline["omnicloud-merge"]
    local = yaml.safe_load(generate(scratch, "gitlab", "--shards", shards, "--env", "local"))
    assert "services" not in local["omnicloud-certify"]
    assert "DOCKER_HOST" not in local["variables"]


def test_an_unknown_environment_is_a_selection_error(scratch: Path) -> None:
    done = subprocess.run(
        [str(BIN / "omnicloud"), "ci", "github", "--shards", "1", "--env", "lokal"],
        cwd=scratch, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 3
    assert "unknown environment 'lokal'; did you mean 'local'?" in done.stderr


def test_the_release_workflow_passes_actionlint(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(root / ".github" / "workflows" / "release.yml", workflows)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    lint = subprocess.run(
        [tool("actionlint")], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    release = yaml.safe_load((workflows / "release.yml").read_text())
    assert release["jobs"]["publish"]["permissions"] == {"id-token": "write"}
