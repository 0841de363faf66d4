"""Edges of the selector's pure parts (coverage floor of the affected package): each asserts
what the code answers for an input the other tests do not reach."""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from affected_repo import Project

from omnicloud.affected.changes import (
    BaseRef,
    FileChange,
    GitRepo,
    collect_changes,
    default_branch,
    resolve_base,
)
from omnicloud.affected.execute import Runner, provider_pytest_args
from omnicloud.affected.gather import (
    AffectedResult,
    _config_path,
    _interface_modules,
    suite_sources,
)
from omnicloud.affected.history import per_item, recent_failures
from omnicloud.affected.imports import Reach, build_graph, parse_imports, reach_changed
from omnicloud.affected.index import (
    CACHE_VERSION,
    ScanStats,
    _read_cache,
    _write_cache,
    python_blobs,
    scan_imports,
)
from omnicloud.affected.render import render_text
from omnicloud.affected.select import Item, Reason, Selection, _unvouched, effective_config
from omnicloud.affected.shadow import is_selected, read_log, shadow
from omnicloud.affected.testdiff import changed_tests
from omnicloud.affected.testmap import load_map
from omnicloud.config import load_config


def result(selection: Selection, **extra: object) -> AffectedResult:
    return AffectedResult(selection, Path("."), "test", **extra)  # type: ignore[arg-type]


def narrowed() -> Selection:
    reason = Reason("contracts", "contract kv_store suite (modified)")
    item = Item("provider", "redis-kv", (reason,), ("test_get",))
    return Selection("main", "abc", providers=(item,))


def test_a_users_k_expression_is_combined_with_the_narrowing() -> None:
    args = provider_pytest_args(result(narrowed()), ["-x", "-k", "not slow"])
    assert args == ("-x", "-k", "(not slow) and ((redis-kv: and (test_get)))")
    dangling = provider_pytest_args(result(narrowed()), ["-k"])  # pytest will report it
    assert dangling == ("-k", "-k", "(redis-kv: and (test_get))")
    whole = Selection("main", "abc", providers=(Item("provider", "p", (Reason("paths", "x"),)),))
    assert provider_pytest_args(result(whole), ["-q"]) == ("-q",)


def test_explain_lists_at_most_five_reasons_and_skips_what_is_empty() -> None:
    reasons = tuple(Reason("imports", f"chain {n}") for n in range(8))
    selection = Selection("main", None, tests=(Item("tests", "tests/test_a.py", reasons),))
    text = render_text(result(selection), explain=True)
    assert "      also <- chain 4" in text
    assert "chain 5" not in text
    assert "      ... and 3 more reasons" in text
    assert "changed files" not in text  # nothing changed, no scan, no timings: no lines
    assert "import graph:" not in text
    assert "time:" not in text
    changed = Selection(
        "main", None, tests=selection.tests, changed=(FileChange("a.py", "modified", "committed"),)
    )
    full = render_text(result(changed, scan=ScanStats(3, 1, 2), timings={"git": 0.5}), explain=True)
    assert "import graph: 3 files, 1 parsed, 2 from the cache" in full
    assert "time: git 500 ms" in full


def test_is_selected_by_file_by_test_and_by_parametrization() -> None:
    whole = Item("tests", "tests/test_a.py", (Reason("tests", "x"),))
    some = Item("tests", "tests/test_b.py", (Reason("map", "y"),), ("tests/test_b.py::test_x",))
    selection = Selection("main", None, tests=(whole, some))
    assert is_selected("tests/test_a.py::test_any", selection)
    assert not is_selected("tests/test_a.pyx::test_any", selection)  # a prefix is no file
    assert is_selected("tests/test_b.py::test_x[1]", selection)
    assert not is_selected("tests/test_b.py::test_y", selection)
    assert not is_selected("tests/test_c.py::test_z", selection)


def test_read_log_skips_blank_lines(tmp_path: Path) -> None:
    assert read_log(tmp_path / "none.jsonl") == []
    log = tmp_path / "shadow.jsonl"
    record = (
        '{"base": "main", "head": "abc", "selected": 1, "total": 2, "failing": [],'
        ' "missed": [], "full_run": null, "when": 1700000000.0}'
    )
    log.write_text(f"\n{record}\n\n")
    records = read_log(log)
    assert [r.selected for r in records] == [1]


def test_changed_tests_of_a_file_that_does_not_parse() -> None:
    assert changed_tests("def test_a(:\n", "def test_a():\n    pass\n") is None


def test_per_item_skips_ids_of_unknown_providers() -> None:
    values = {"omnicloud.toml::gone:kv::test_a": 3.0, "omnicloud.toml::p:kv::test_b": 2.0}
    assert per_item(values, ["p"], []) == {"p": 2.0}


def test_recent_failures_of_what_is_no_database(tmp_path: Path) -> None:
    (tmp_path / "history.db").write_text("not sqlite")
    assert recent_failures(tmp_path / "history.db") == {}
    assert recent_failures(tmp_path / "missing.db") == {}


def test_graph_walks_reach_each_seed_once() -> None:
    graph = build_graph({"a.py": parse_imports("import b\n"), "b.py": parse_imports("")}, ["."])
    reach = reach_changed(graph, ["b.py", "b.py"])
    assert reach.chain("a.py") == ["a.py", "b.py"]


def test_a_table_bound_to_a_name_and_an_attribute_is_read_by_its_name() -> None:
    source = "T = obj.attr = ('a.m', 'a.n')\nimport importlib\nimportlib.import_module(T[k])\n"
    parsed = parse_imports(source)
    assert parsed.dynamic == ()  # the loader's argument is a lookup in a known table
    assert [r[1] for r in parsed.records] == ["a.m", "a.n", "importlib"]
    assert ast.parse(source)


def test_a_shadow_run_can_refresh_the_map_and_survives_a_run_without_outcomes(
    tmp_path: Path,
) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_one.py").write_text("def test_one():\n    assert 1\n")
    runner = Runner((sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:xdist"), "test")
    everything = Selection("main", None, full_run="full run: the map is stale")
    log = tmp_path / "shadow.jsonl"
    code, found = shadow(
        tmp_path, everything, runner, ["tests"], ["."], map_path=tmp_path / "map.json", log=log
    )
    assert code == 0
    assert (found.selected, found.total, found.full_run) == (1, 1, True)  # a full run: all
    refreshed = load_map(tmp_path / "map.json")
    assert refreshed is not None
    assert refreshed.tests == ["tests/test_one.py::test_one"]
    code, found = shadow(
        tmp_path, everything, runner, ["tests"], ["."], log=log, pytest_args=["--no-such-flag"]
    )
    assert code != 0
    assert (found.selected, found.total) == (0, 0)  # pytest stopped before any outcome
    assert len(read_log(log)) == 2


def test_a_configuration_new_or_broken_at_the_merge_base_selects_every_provider(
    project: Project,
) -> None:
    config = (project.root / "omnicloud.toml").read_text()
    project.git("rm", "-q", "omnicloud.toml")
    project.commit("no configuration")
    base = project.git("rev-parse", "HEAD").strip()
    project.write("omnicloud.toml", config)
    project.commit("configuration back")
    added = project.justifications(base)
    assert added
    assert all("the version at the merge base did not exist" in line for line in added)
    project.write("omnicloud.toml", "[project\n")
    project.commit("broken")
    broken = project.git("rev-parse", "HEAD").strip()
    project.write("omnicloud.toml", config)
    project.commit("fixed")
    fixed = project.justifications(broken)
    assert fixed
    assert all("the version at the merge base does not load" in line for line in fixed)


def test_without_a_project_folder_the_base_is_the_previous_commit() -> None:
    assert resolve_base(None, None, {}, None) == BaseRef("HEAD~1", "default")


def test_a_repository_without_any_branch_name_known_has_no_default_branch(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.git("init", "-q", "-b", "topic")
    project.write("a.py", "")
    project.commit("one")
    assert default_branch(GitRepo.open(tmp_path)) is None  # no main, master, no remote


def test_a_repository_without_a_commit_runs_everything(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.git("init", "-q", "-b", "main")
    changes = collect_changes(tmp_path, BaseRef("main", "test"))
    assert changes.full_run == "the repository has no commit yet"


def test_loader_calls_that_cannot_be_resolved_are_dynamic() -> None:
    parsed = parse_imports(
        "import importlib\nimportlib.import_module()\nimportlib.import_module('.rel')\n"
    )
    assert sorted(line for line, _code, _lazy in parsed.dynamic) == [2, 3]


def test_import_cache_that_is_old_or_damaged_costs_a_cold_run(tmp_path: Path) -> None:
    cache = tmp_path / "imports.json"
    cache.write_text('{"version": -1, "entries": {}}')
    assert _read_cache(cache) == {}
    cache.write_text(json.dumps({"version": CACHE_VERSION, "entries": {"b": 1}}))
    assert _read_cache(cache) == {}


def test_a_deleted_python_file_has_no_blob(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.git("init", "-q", "-b", "main")
    project.write("a.py", "A = 1\n")
    project.write("b.py", "B = 1\n")
    project.commit("two")
    (tmp_path / "b.py").unlink()
    blobs = python_blobs(tmp_path, ["b.py", "a.py", "notes.txt"])
    assert set(blobs) == {"a.py"}


def test_a_dynamic_import_with_no_change_under_its_package_only_notes_it(
    project: Project,
) -> None:
    project.write(
        "src/acme/kv/loader.py",
        "import importlib\n\n\ndef load(name):\n    return importlib.import_module(name)\n",
    )
    project.write("src/acme/kv/redis.py", "from . import loader\n\n\nclass RedisKV:\n    pass\n")
    project.commit("loader")
    project.git("branch", "-f", "main")
    project.write("notes/readme.md", "# notes\n")
    project.commit("outside the loader's package")
    selection = project.affected().selection
    assert selection.providers == ()
    assert selection.notes == (
        "redis-kv: src/acme/kv/loader.py:5 imports a module named at run time"
        " (importlib.import_module(name)); selected for any change under src/acme/kv/",
    )


def test_without_test_level_a_contract_test_change_runs_the_whole_suite(
    project_factory: Callable[..., Project],
) -> None:
    project = project_factory("\n[affected]\ntest_level = false\n")
    suite = project.root / "src/tck_py/primitives/kv_store.py"
    suite.write_text(suite.read_text().replace("assert helper() == 1", "assert helper() == 1 + 0"))
    project.commit("one contract test")
    providers = project.affected().selection.providers
    assert providers
    assert all(item.tests == () for item in providers)  # not narrowed to test_a


def test_a_mapping_rule_that_matches_nothing_selects_nothing(
    project_factory: Callable[..., Project],
) -> None:
    project = project_factory(
        "\n[[affected.mappings]]\nsource_pattern = 'lib/(.*)\\.py'\n"
        "test_pattern = 'tests/test_{1}.py'\n"
    )
    project.write("notes/readme.md", "# notes\n")
    project.commit("docs only")
    selection = project.affected().selection
    assert selection.tests == ()
    assert selection.notes == ()


def test_suite_sources_skip_disabled_providers_and_unknown_interfaces(
    project_factory: Callable[..., Project],
) -> None:
    project = project_factory(
        '\n[providers.off-kv]\ncontract = "kv_store"\nfactory = "acme.util:X"\nenabled = false\n'
    )
    config = load_config(project.root / "omnicloud.toml", environ={})
    sources = suite_sources(config)
    assert "off-kv" not in sources
    assert "redis-kv" in sources
    assert _interface_modules(["no-such-interface"]) == []  # the loader reports it, not us


def test_a_configuration_outside_the_project_or_from_code_is_not_a_changed_file(
    project: Project, tmp_path: Path
) -> None:
    config = load_config(project.root / "omnicloud.toml", environ={})
    assert _config_path(config, project.root) == "omnicloud.toml"
    assert _config_path(config.model_copy(update={"source": None}), project.root) is None
    elsewhere = config.model_copy(update={"source": tmp_path / "other" / "omnicloud.toml"})
    assert _config_path(elsewhere, project.root) is None


def test_a_test_file_that_is_no_text_is_not_narrowed(
    project_factory: Callable[..., Project],
) -> None:
    project = project_factory('\n[affected]\ntest_paths = ["tests"]\n')
    project.write("tests/test_x.py", "def test_x():\n    pass\n")
    project.commit("a test")
    project.git("branch", "-f", "main")
    (project.root / "tests" / "test_x.py").write_bytes(b"def test_x():\n    '\xff'\n")
    project.commit("not UTF-8 any more")
    selection = project.affected("main").selection
    assert [(i.name, i.tests) for i in selection.tests] == [("tests/test_x.py", ())]


def test_a_file_listed_but_gone_is_not_parsed(tmp_path: Path) -> None:
    (tmp_path / "here.py").write_text("import os\n")
    parsed, stats = scan_imports(tmp_path, {"here.py": "b1", "gone.py": "b2"}, None)
    assert set(parsed) == {"here.py"}
    assert (stats.files, stats.parsed) == (2, 1)


def test_a_cache_that_cannot_be_replaced_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "cache" / "imports.json"
    target.mkdir(parents=True)
    (target / "keep").write_text("a folder where the cache should be")
    with pytest.raises(OSError):
        _write_cache(target, {"b": parse_imports("import os\n")})
    assert sorted(p.name for p in target.parent.iterdir()) == [".gitignore", "imports.json"]


def test_a_file_added_then_edited_in_the_working_tree_is_one_addition(project: Project) -> None:
    project.write("src/acme/new.py", "A = 1\n")
    project.commit("added")
    (project.root / "src" / "acme" / "new.py").write_text("A = 2\n")  # not committed
    changes = {c.path: c.status for c in project.affected("main").selection.changed}
    assert changes["src/acme/new.py"] == "added"


def test_a_providers_environments_and_datasets_are_part_of_its_configuration(
    project_factory: Callable[..., Project],
) -> None:
    project = project_factory(
        '\n[environments.local]\nprovisioner = "process"\n'
        '\n[data.orders]\ncount = 5\nload_into = ["memory-kv"]\nfields = { id = "uuid" }\n'
    )
    config = project.root / "omnicloud.toml"
    config.write_text(config.read_text().replace("count = 5", "count = 6"))
    project.commit("more orders")
    assert project.justifications() == [
        "memory-kv <- omnicloud.toml (modified): data.orders.count changed"
    ]
    flat = effective_config(load_config(config, environ={}), "memory-kv")
    assert flat["environments.local.provisioner"] == "process"


def test_without_test_level_a_changed_test_file_runs_whole(
    project_factory: Callable[..., Project],
) -> None:
    project = project_factory('\n[affected]\ntest_paths = ["tests"]\ntest_level = false\n')
    project.write("tests/test_x.py", "def test_x():\n    pass\n\n\ndef test_y():\n    pass\n")
    project.commit("tests")
    project.git("branch", "-f", "main")
    project.write("tests/test_x.py", "def test_x():\n    assert 1\n\n\ndef test_y():\n    pass\n")
    project.commit("one test")
    selection = project.affected("main").selection
    assert [(i.name, i.tests) for i in selection.tests] == [("tests/test_x.py", ())]


def test_a_reason_given_twice_is_kept_once(project_factory: Callable[..., Project]) -> None:
    project = project_factory(
        '\n[providers.dup-kv]\ncontract = "kv_store"\nfactory = "acme.util:X"\n'
        'paths = ["src/acme/util.py", "src/acme/util.py"]\n'
    )
    project.append("src/acme/util.py", "Y = 2\n")
    project.commit("util")
    selection = project.affected().selection
    dup = next(item for item in selection.providers if item.name == "dup-kv")
    texts = [reason.text for reason in dup.reasons]
    assert texts.count("src/acme/util.py (modified) matches paths 'src/acme/util.py'") == 1


def test_an_edited_test_module_is_unseen_code_only_for_its_importers() -> None:
    graph = build_graph(
        {
            "tests/test_a.py": parse_imports("import test_b\n"),
            "tests/test_b.py": parse_imports(""),
            "tests/test_c.py": parse_imports(""),
        },
        ["tests"],
    )
    nothing = Reach({})
    both = reach_changed(graph, ["tests/test_a.py", "tests/test_b.py"])
    assert _unvouched("tests/test_a.py", nothing, both, graph) is both  # imports edited b
    assert _unvouched("tests/test_b.py", nothing, both, graph) is None  # its diff decides
    only_b = reach_changed(graph, ["tests/test_b.py"])
    assert _unvouched("tests/test_a.py", nothing, only_b, graph) is only_b
    assert _unvouched("tests/test_c.py", nothing, only_b, graph) is None
    assert _unvouched("tests/test_a.py", only_b, nothing, graph) is only_b  # unseen code
