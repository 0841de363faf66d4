"""CODEOWNERS semantics, provider file lookup without import, fingerprint normalisation."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from omnicloud.triage.history import error_signature, fingerprint
from omnicloud.triage.model import Failure
from omnicloud.triage.route import CodeOwners, module_file, parse_codeowners

RULES = """\
# comment
*             @global
*.js          @js-team
/build/logs/  @logs
docs/*        @docs
apps/         @apps
/apps/github
src/**/kv/    @kv   # trailing comment
"""


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("README.md", ("@global",)),
        ("web/app.js", ("@js-team",)),
        ("build/logs/2024/run.txt", ("@logs",)),
        ("sub/build/logs/x", ("@global",)),  # a leading slash anchors at the root
        ("docs/index.md", ("@docs",)),
        ("docs/guide/deep.md", ("@global",)),  # dir/* covers direct children only
        ("nested/apps/tool.py", ("@apps",)),  # no inner slash: any depth
        ("apps/github/main.py", ()),  # last match wins; no owners means unowned
        ("src/acme/kv/redis.py", ("@kv",)),
        ("src/kv/redis.py", ("@kv",)),  # ** matches zero directories too
    ],
)
def test_codeowners_last_matching_gitignore_style_pattern_wins(
    path: str, owners: tuple[str, ...]
) -> None:
    assert CodeOwners(Path("CODEOWNERS"), parse_codeowners(RULES)).owners_of(path) == owners


def test_codeowners_found_in_the_usual_places(tmp_path: Path) -> None:
    assert CodeOwners.find(tmp_path) is None
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "CODEOWNERS").write_text("* @docs-owner\n")
    found = CodeOwners.find(tmp_path)
    assert found is not None
    assert found.owners_of("x.py") == ("@docs-owner",)
    assert found.rules[0].line == 1


def test_module_file_is_located_without_importing_the_package(tmp_path: Path) -> None:
    package = tmp_path / "never_imported_pkg" / "sub"
    package.mkdir(parents=True)
    (package.parent / "__init__.py").write_text("raise SystemExit('imported!')\n")
    (package / "__init__.py").write_text("")
    (package / "store.py").write_text("class Store: ...\n")
    found = module_file("never_imported_pkg.sub.store", [str(tmp_path)])
    assert found == package / "store.py"
    assert "never_imported_pkg" not in sys.modules
    assert module_file("never_imported_pkg.missing", [str(tmp_path)]) is None
    assert module_file("no_such_top_level_module_xyz") is None


def test_fingerprint_ignores_addresses_numbers_uuids_and_tmp_paths() -> None:
    one = Failure(
        "t::a",
        message="KeyError at 0x7f3a9c2b1d90 in /tmp/pytest-of-ci/pytest-12/test_a0/data.db"
        " session 5f0c2a1e-8b1d-4c52-9a43-2f6d9d0e7b11 after 3.21s (kv.py:41)",
    )
    two = Failure(
        "t::a",
        message="KeyError at 0x55d0c0ffee11 in /tmp/pytest-of-ci/pytest-99/test_a1/data.db"
        " session 0b7e2a1e-1111-4c52-9a43-aaaaaaaaaaaa after 0.5s (kv.py:57)",
    )
    assert (
        error_signature(one) == "KeyError at <addr> in <tmp> session <uuid> after <n>s (kv.py:<n>)"
    )
    assert fingerprint(one) == fingerprint(two)
    assert fingerprint(one) != fingerprint(Failure("t::b", message=one.message))
    assert fingerprint(one) != fingerprint(Failure("t::a", message="ValueError at 0x1"))
    last_line = Failure("t::a", traceback="frame\nE   ValueError: line 12 is bad\n")
    assert error_signature(last_line) == "E ValueError: line <n> is bad"


def test_a_failing_test_file_is_routed_by_codeowners_relative_to_the_root(tmp_path: Path) -> None:
    from omnicloud.triage.model import Classification
    from omnicloud.triage.route import Router

    (tmp_path / "CODEOWNERS").write_text("/tests/kv/ @kv-testers\n")
    router = Router.from_config(None, tmp_path)
    unclassified = Classification("unclassified", "")
    failure = Failure("t", file="tests/kv/test_delete.py")
    assert router.route(failure, unclassified).owners == ("@kv-testers",)
    assert router.route(failure, unclassified).source == "codeowners"
    assert router.route(Failure("t", file="tests/other.py"), unclassified).owners == ("unowned",)
    routed = router.route(failure, Classification("infra", "r", route="platform"))
    assert (routed.owners, routed.source) == (("platform",), "category")


def test_history_refuses_a_run_id_twice_and_an_unusable_file(tmp_path: Path) -> None:
    from omnicloud.errors import InfrastructureError
    from omnicloud.triage.history import History

    history = History(tmp_path / "h.sqlite")
    history.record("r1", None, ["t::a"], [])
    with pytest.raises(InfrastructureError, match="run 'r1' is already in the failure history"):
        history.record("r1", None, ["t::a"], [])
    assert history.runs() == [("r1", None)]
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"not a database" * 100)
    with pytest.raises(InfrastructureError, match="is unusable: file is not a database"):
        History(broken).record("r1", None, [], [])
