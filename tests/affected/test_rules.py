"""Each rule kind, on a real repository, selecting exactly what it should with the exact text."""

from __future__ import annotations

from collections.abc import Callable

from affected_repo import Project

from omnicloud.affected.render import keyword_expression

Factory = Callable[..., Project]


def rules(*names: str) -> str:
    listed = ", ".join(f'"{n}"' for n in names)
    return f"\n[affected]\nrules = [{listed}]\n"


def test_paths_glob_selects_the_provider_that_owns_the_file(project_factory: Factory) -> None:
    project = project_factory(rules("paths"))
    project.append("omnicloud.toml", "")
    text = (project.root / "omnicloud.toml").read_text()
    text = text.replace(
        'services = ["redis"]\n', 'services = ["redis"]\npaths = ["src/acme/kv/**"]\n'
    )
    (project.root / "omnicloud.toml").write_text(text)
    project.commit("own the kv folder")
    project.git("branch", "-f", "main")  # the config change is the new base
    project.append("src/acme/kv/redis.py", "TIMEOUT = 3\n")
    project.commit()
    assert project.justifications() == [
        "redis-kv <- src/acme/kv/redis.py (modified) matches paths 'src/acme/kv/**'"
    ]


def test_import_graph_follows_relative_and_function_level_imports(project: Project) -> None:
    project.append("src/acme/net/sock.py", "PORT = 2\n")
    project.commit()
    assert project.justifications() == [
        "redis-kv <- src/acme/kv/redis.py imports src/acme/net/pool.py imports"
        " src/acme/net/sock.py (modified)"
    ]


def test_import_graph_follows_imports_inside_try_blocks(project: Project) -> None:
    project.append("src/acme/util.py", "Y = 2\n")
    project.commit()
    assert project.justifications() == [
        "memory-kv <- src/acme/memory.py imports src/acme/util.py (modified)"
    ]


def test_the_factory_module_itself_changing(project: Project) -> None:
    project.append("src/acme/tenant.py", "LIMIT = 1\n")
    project.commit()
    assert project.justifications() == ["tenant-kv <- src/acme/tenant.py (modified)"]


def test_a_parent_package_init_is_imported_by_every_module_below_it(project: Project) -> None:
    project.write("src/acme/kv/__init__.py", "VERSION = 2\n")
    project.commit()
    assert project.justifications() == [
        "redis-kv <- src/acme/kv/redis.py imports src/acme/kv/__init__.py (modified)"
    ]


def test_dynamic_import_makes_selection_conservative_with_a_note(project: Project) -> None:
    project.write(
        "src/acme/kv/loader.py",
        """\
        import importlib


        def load(name):
            return importlib.import_module(name)
        """,
    )
    project.write("src/acme/kv/redis.py", "from . import loader\n\n\nclass RedisKV:\n    pass\n")
    project.commit("loader")
    project.git("branch", "-f", "main")
    project.write("src/acme/kv/plugins/extra.py", "X = 1\n")
    project.commit("a plugin nothing imports by name")
    selection = project.affected().selection
    assert [i.justification for i in selection.providers] == [
        "redis-kv <- src/acme/kv/loader.py:5 imports a module named at run time"
        " (importlib.import_module(name)); src/acme/kv/plugins/extra.py (added) is under"
        " src/acme/kv/"
    ]
    assert selection.notes == (
        "redis-kv: src/acme/kv/loader.py:5 imports a module named at run time"
        " (importlib.import_module(name)); selected for any change under src/acme/kv/",
    )


def test_dynamic_import_policy_everything(project_factory: Factory) -> None:
    project = project_factory('\n[affected]\ndynamic_imports = "everything"\n')
    project.write("src/acme/kv/redis.py", "X = __import__(NAME)\n\n\nclass RedisKV:\n    pass\n")
    project.commit("dynamic")
    project.git("branch", "-f", "main")
    project.write("docs/index.md", "# new docs\n")
    project.commit()
    assert project.justifications() == [
        "redis-kv <- src/acme/kv/redis.py:1 imports a module named at run time"
        " (__import__(NAME)); docs/index.md (modified)"
    ]


def test_constant_import_module_is_a_static_import(project: Project) -> None:
    project.write(
        "src/acme/tenant.py",
        "import importlib\n\nimportlib.import_module('acme.util')\n\n\nclass TenantKV:\n    pass\n",
    )
    project.commit("static import_module")
    project.git("branch", "-f", "main")
    project.append("src/acme/util.py", "Z = 3\n")
    project.commit()
    selection = project.affected().selection
    assert [i.justification for i in selection.providers] == [
        "memory-kv <- src/acme/memory.py imports src/acme/util.py (modified)",
        "tenant-kv <- src/acme/tenant.py imports src/acme/util.py (modified)",
    ]
    assert selection.notes == ()


def test_contract_suite_change_selects_every_provider_of_that_contract(project: Project) -> None:
    project.write(
        "src/tck_py/primitives/kv_store.py",
        (project.root / "src/tck_py/primitives/kv_store.py")
        .read_text()
        .replace("return 1", "return 1  # same\n    # helper changed")
        .replace("def helper():", "def helper(x=0):"),
    )
    project.commit()
    selection = project.affected().selection
    assert [i.justification for i in selection.providers] == [
        "memory-kv <- contract kv_store suite src/tck_py/primitives/kv_store.py (modified)",
        "redis-kv <- contract kv_store suite src/tck_py/primitives/kv_store.py (modified)",
        "tenant-kv <- contract kv_store suite src/tck_py/primitives/kv_store.py (modified)",
    ]
    assert all(i.tests == () for i in selection.providers)
    assert keyword_expression(selection) is None


def test_only_one_test_function_changed_narrows_to_that_test(project: Project) -> None:
    path = project.root / "src/tck_py/primitives/kv_store.py"
    path.write_text(
        path.read_text().replace(
            "def test_b(self):\n        assert True", "def test_b(self):\n        assert 1 + 1 == 2"
        )
    )
    project.commit()
    selection = project.affected().selection
    assert [(i.name, i.tests) for i in selection.providers] == [
        ("memory-kv", ("test_b",)),
        ("redis-kv", ("test_b",)),
        ("tenant-kv", ("test_b",)),
    ]
    assert keyword_expression(selection) == (
        "(memory-kv: and (test_b)) or (redis-kv: and (test_b)) or (tenant-kv: and (test_b))"
    )


def test_narrowing_is_dropped_when_code_also_changed(project: Project) -> None:
    path = project.root / "src/tck_py/primitives/kv_store.py"
    path.write_text(path.read_text().replace("assert True", "assert not False"))
    project.append("src/acme/kv/redis.py", "X = 1\n")
    project.commit()
    selection = project.affected().selection
    items = {i.name: i for i in selection.providers}
    assert items["redis-kv"].tests == ()
    assert [r.text for r in items["redis-kv"].reasons] == [
        "src/acme/kv/redis.py (modified)",
        "contract kv_store suite src/tck_py/primitives/kv_store.py (modified)",
    ]
    assert items["memory-kv"].tests == ("test_b",)
    assert keyword_expression(selection) == (
        "(memory-kv: and (test_b)) or redis-kv: or (tenant-kv: and (test_b))"
    )


def test_policy_mixin_change_selects_only_providers_with_that_policy(project: Project) -> None:
    project.append("src/tck_py/policies/multi_tenancy.py", "\nLIMIT = 1\n")
    project.commit()
    assert project.justifications() == [
        "tenant-kv <- policy multi_tenancy suite src/tck_py/policies/multi_tenancy.py (modified)"
    ]


def test_config_change_selects_only_providers_whose_effective_config_changed(
    project: Project,
) -> None:
    config = project.root / "omnicloud.toml"
    config.write_text(config.read_text().replace("port = 6379", "port = 6380"))
    project.commit()
    assert project.justifications() == [
        "redis-kv <- omnicloud.toml (modified): services.redis.port changed"
    ]


def test_config_change_of_provider_options_and_a_new_provider(project: Project) -> None:
    config = project.root / "omnicloud.toml"
    text = config.read_text().replace(
        'factory = "acme.memory:MemoryKV"\n',
        'factory = "acme.memory:MemoryKV"\noptions = { size = 10 }\n',
    )
    text += '\n[providers.extra-kv]\ncontract = "kv"\nfactory = "acme.util:Extra"\n'
    config.write_text(text)
    project.commit()
    assert project.justifications() == [
        "extra-kv <- omnicloud.toml (modified): provider extra-kv added",
        "memory-kv <- omnicloud.toml (modified): providers.memory-kv.options.size changed",
    ]


def test_config_change_outside_provider_settings_selects_nothing(project: Project) -> None:
    project.append("omnicloud.toml", '\n[[failures.categories]]\nname = "db"\nmessage = ["x"]\n')
    project.commit()
    result = project.affected()
    assert result.selection.empty
    assert result.selection.providers == ()


def test_config_change_of_a_shared_section_selects_everyone(project: Project) -> None:
    project.append("omnicloud.toml", "\n[run]\nreruns = 1\n")
    project.commit()
    assert project.justifications() == [
        "memory-kv <- omnicloud.toml (modified): run.reruns changed",
        "redis-kv <- omnicloud.toml (modified): run.reruns changed",
        "tenant-kv <- omnicloud.toml (modified): run.reruns changed",
    ]


def test_declared_inputs_select_their_provider(project: Project) -> None:
    project.write("data/memory/seed.json", '{"a": 1}\n')
    project.commit()
    assert project.justifications() == [
        "memory-kv <- data/memory/seed.json (modified) matches inputs 'data/memory/*.json'"
    ]


def test_always_globs_select_everything(project: Project) -> None:
    project.append("pyproject.toml", "# touched\n")
    project.commit()
    result = project.affected()
    assert result.selection.full_run == "pyproject.toml (modified) matches always 'pyproject.toml'"
    assert [i.justification for i in result.selection.providers] == [
        "memory-kv <- pyproject.toml (modified) matches always 'pyproject.toml'",
        "redis-kv <- pyproject.toml (modified) matches always 'pyproject.toml'",
        "tenant-kv <- pyproject.toml (modified) matches always 'pyproject.toml'",
    ]


def test_nested_conftest_matches_the_default_always_glob(project: Project) -> None:
    project.write("tests/deep/conftest.py", "X = 1\n")
    project.commit()
    assert project.affected().selection.full_run == (
        "tests/deep/conftest.py (added) matches always '**/conftest.py'"
    )


def test_seed_mapping_rules_select_plain_tests(project_factory: Factory) -> None:
    project = project_factory(
        "\n[affected]\n"
        "[[affected.mappings]]\n"
        "source_pattern = 'src/payment/(.*)\\.py'\n"
        "test_pattern = 'tests/test_{1}.py'\n"
    )
    project.write("src/payment/processor.py", "def pay():\n    return 1\n")
    project.write("tests/test_processor.py", "def test_pay():\n    assert True\n")
    project.commit("payment")
    project.git("branch", "-f", "main")
    project.append("src/payment/processor.py", "\n\ndef refund():\n    return 2\n")
    project.write("src/payment/ledger.py", "X = 1\n")
    project.commit()
    selection = project.affected().selection
    assert [i.justification for i in selection.tests] == [
        "tests/test_processor.py <- src/payment/processor.py (modified) maps by"
        " 'src/payment/(.*)\\.py' -> 'tests/test_{1}.py'"
    ]
    assert selection.notes == (
        "src/payment/ledger.py (added) maps by 'src/payment/(.*)\\.py' -> 'tests/test_{1}.py',"
        " but tests/test_ledger.py does not exist",
    )


def test_plain_test_files_by_import_graph_and_by_test_function(project_factory: Factory) -> None:
    project = project_factory('\n[affected]\ntest_paths = ["tests"]\n')
    project.write(
        "tests/test_pool.py",
        "from acme.net import pool\n\n\ndef test_one():\n    assert pool\n\n\n"
        "def test_two():\n    assert True\n",
    )
    project.write("tests/test_other.py", "def test_x():\n    assert True\n")
    project.commit("tests")
    project.git("branch", "-f", "main")
    project.append("src/acme/net/pool.py", "\nX = 1\n")
    project.commit()
    assert project.justifications() == [
        "redis-kv <- src/acme/kv/redis.py imports src/acme/net/pool.py (modified)",
        "tests/test_pool.py <- tests/test_pool.py imports src/acme/net/pool.py (modified)",
    ]
    project.git("branch", "-f", "main")
    path = project.root / "tests/test_pool.py"
    path.write_text(path.read_text().replace("assert True", "assert 2 > 1"))
    project.commit()
    selection = project.affected().selection
    assert [(i.justification, i.tests) for i in selection.tests] == [
        ("tests/test_pool.py <- tests/test_pool.py (modified)", ("tests/test_pool.py::test_two",)),
    ]


def test_rule_kinds_can_be_switched_off(project_factory: Factory) -> None:
    project = project_factory(rules("paths", "inputs"))
    project.append("src/acme/net/sock.py", "PORT = 2\n")
    project.commit()
    assert project.affected().selection.empty


def test_prioritises_recent_failures_then_duration(project: Project) -> None:
    import json
    import sqlite3

    (project.root / ".omnicloud").mkdir()
    (project.root / ".omnicloud/.gitignore").write_text("*\n")
    db = sqlite3.connect(project.root / ".omnicloud/history.sqlite")
    db.execute("CREATE TABLE results (run_id TEXT, nodeid TEXT, outcome TEXT)")
    db.executemany(
        "INSERT INTO results VALUES (?, ?, ?)",
        [
            ("1", "omnicloud.toml::tenant-kv:kv_store::test_a", "failed"),
            ("1", "omnicloud.toml::redis-kv:kv_store::test_a", "passed"),
        ],
    )
    db.commit()
    db.close()
    (project.root / ".omnicloud/durations.json").write_text(
        json.dumps(
            {
                "omnicloud.toml::memory-kv:kv_store::test_a": 5.0,
                "omnicloud.toml::redis-kv:kv_store::test_a": 1.0,
            }
        )
    )
    project.append("src/tck_py/primitives/kv_store.py", "\nX = 1\n")
    project.commit()
    assert [i.name for i in project.affected().selection.providers] == [
        "tenant-kv",
        "redis-kv",
        "memory-kv",
    ]


def test_history_without_a_known_table_is_ignored(project: Project) -> None:
    import sqlite3

    (project.root / ".omnicloud").mkdir()
    (project.root / ".omnicloud/.gitignore").write_text("*\n")
    db = sqlite3.connect(project.root / ".omnicloud/history.sqlite")
    db.execute("CREATE TABLE other (x TEXT)")
    db.commit()
    db.close()
    (project.root / ".omnicloud/durations.json").write_text("not json")
    project.append("src/tck_py/primitives/kv_store.py", "\nX = 1\n")
    project.commit()
    assert [i.name for i in project.affected().selection.providers] == [
        "memory-kv",
        "redis-kv",
        "tenant-kv",
    ]


def test_lazy_exports_in_the_top_package_do_not_select_every_provider(project: Project) -> None:
    project.write(
        "src/acme/__init__.py",
        """\
        import importlib

        _EXPORTS = {"Pool": "acme.net.pool", "util": "acme.util"}


        def __getattr__(name):
            return importlib.import_module(_EXPORTS[name])
        """,
    )
    project.commit("lazy exports")
    project.git("branch", "-f", "main")
    project.append("src/acme/net/sock.py", "PORT = 3\n")
    project.commit()
    selection = project.affected().selection
    assert [i.justification for i in selection.providers] == [
        "redis-kv <- src/acme/kv/redis.py imports src/acme/net/pool.py imports"
        " src/acme/net/sock.py (modified)"
    ]
    assert selection.notes == ()
