"""This repository's own layout: changing one reference provider selects only that provider.

The test clones the committed state of this repository (so it never sees other people's work in
progress), changes one provider module on a branch and selects against the clone's HEAD.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from affected_repo import Project, git

from omnicloud.affected import compute_selection
from omnicloud.config import load_config

ROOT = Path(__file__).resolve().parents[2]
# One xdist worker runs the module: the repository is cloned once (the module fixture).
pytestmark = pytest.mark.xdist_group("this-repository")


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, str]:
    target = tmp_path_factory.mktemp("self") / "omnicloud"
    git(target.parent, "clone", "-q", "--no-hardlinks", f"file://{ROOT}", str(target))
    project = Project(target)
    return project, project.git("rev-parse", "HEAD")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("src/omnicloud/providers/memory/kv.py", ["memory-kv"]),
        ("src/omnicloud/providers/sqlite/kv.py", ["sqlite-kv"]),
    ],
)
def test_changing_one_reference_provider_selects_only_it(
    clone: tuple[Project, str], path: str, expected: list[str]
) -> None:
    project, base = clone
    if not (project.root / path).exists():
        pytest.skip(f"{path} is not in this checkout")
    project.git("checkout", "-q", "-B", f"change-{expected[0]}", base)
    project.append(path, "\n# a change\n")
    project.commit(f"change {path}")
    config = load_config(project.root / "omnicloud.toml", environ={})
    enabled = [n for n, p in config.providers.items() if p.enabled]
    if expected[0] not in enabled:
        pytest.skip(f"{expected[0]} is not configured in this checkout")
    selection = compute_selection(config, base=base, environ={}).selection
    assert [i.name for i in selection.providers] == expected
    assert selection.providers[0].reasons[0].text.startswith(f"{path} (modified)")
