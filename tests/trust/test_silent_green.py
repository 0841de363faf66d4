"""Never a silent green: what sits out, runs nothing, or was mistyped fails the run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from trust_support import KV_CONFIG, REDIS_SECTION, environ, make_repo, omnicloud

FEW = ("--", "-k", "delete")  # a few tests keep these runs short


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", KV_CONFIG + REDIS_SECTION)


def test_an_unknown_environment_is_a_selection_error_with_did_you_mean(repo: Path) -> None:
    result = omnicloud(repo, "certify", "--env", "locl", "--contract", "kv")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "unknown environment 'locl' (from --env); did you mean 'local'?" in result.stderr
    assert not (repo / "omnicloud-results" / "junit.xml").exists()


def test_an_unknown_environment_from_the_environment_variable_is_refused(repo: Path) -> None:
    result = omnicloud(repo, "certify", "--contract", "kv", env=environ(OMNICLOUD_ENV="prod"))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "unknown environment 'prod' (from OMNICLOUD_ENV)" in result.stderr


def test_a_provider_that_sits_out_is_listed_in_the_table_and_the_reports(repo: Path) -> None:
    result = omnicloud(repo, "certify", "--contract", "kv", "--no-strict", *FEW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Sat out (not certified by this run)" in result.stdout
    assert "redis-kv" in result.stdout.split("Sat out", 1)[1]
    folder = repo / "omnicloud-results"
    report = json.loads((folder / "report.json").read_text())
    assert list(report["meta"]["sat_out"]) == ["redis-kv"]
    assert "| redis-kv | - |" in (folder / "report.md").read_text()


def test_strict_is_the_default_in_ci_and_fails_when_a_provider_sits_out(repo: Path) -> None:
    result = omnicloud(repo, "certify", "--contract", "kv", env=environ(CI="true"))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "provider redis-kv would sit out this strict run" in result.stderr
    assert "run.allow_sit_out" in result.stderr


def test_the_configuration_may_allow_a_provider_to_sit_out_explicitly(tmp_path: Path) -> None:
    allowed = KV_CONFIG.replace("[sessions]", '[run]\nallow_sit_out = ["redis-*"]\n\n[sessions]')
    repo = make_repo(tmp_path / "allowed", allowed + REDIS_SECTION)
    result = omnicloud(repo, "certify", "--contract", "kv", *FEW, env=environ(CI="1"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Sat out" in result.stdout


def test_a_run_that_executes_no_test_is_never_a_success(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    result = omnicloud(repo, "certify", "--", "--collect-only")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "no test executed" in result.stderr


@pytest.mark.parametrize(
    ("argv", "code", "reason"),
    [
        (["--", "--no-such-flag"], 2, "pytest stopped on a usage error (pytest exit code 4)"),
        (["--", "-k", "no_test_is_named_so"], 3, "pytest collected no test (pytest exit code 5)"),
        (["--", "-p", "broken_plugin"], 5, "pytest failed internally (pytest exit code 3)"),
    ],
    ids=["rejected-arguments", "nothing-collected", "internal-error"],
)
def test_a_run_pytest_ended_without_a_verdict_is_reported_incomplete(
    tmp_path: Path, argv: list[str], code: int, reason: str
) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "broken_plugin.py").write_text("def broken(:\n", encoding="utf-8")
    result = omnicloud(repo, "certify", *argv)
    assert result.returncode == code, result.stdout + result.stderr
    meta = json.loads((repo / "omnicloud-results" / "report.json").read_text())["meta"]
    assert (meta["status"], meta["incomplete_reason"]) == ("INCOMPLETE", reason)
    assert f"**INCOMPLETE**: {reason}" in (repo / "omnicloud-results" / "report.md").read_text()


def test_a_run_reporting_fewer_tests_than_it_selected_is_never_a_success(tmp_path: Path) -> None:
    # A conftest that swallows the reports of some tests: pytest itself exits 0.
    repo = make_repo(tmp_path / "repo")
    (repo / "omnicloud.toml").write_text(
        KV_CONFIG.replace("[sessions]", '[run]\npytest_args = ["-p", "dropper"]\n\n[sessions]'),
        encoding="utf-8",
    )
    (repo / "dropper.py").write_text(
        "import pytest\n\n"
        "@pytest.hookimpl(tryfirst=True)\n"
        "def pytest_runtest_protocol(item, nextitem):\n"
        "    if 'delete' in item.name:\n"
        "        return True  # claims the test ran without reporting it\n"
        "    return None\n",
        encoding="utf-8",
    )
    result = omnicloud(repo, "certify", "--", "-k", "delete or missing")
    assert result.returncode == 6, result.stdout + result.stderr
    assert "incomplete run:" in result.stderr


def test_a_misspelled_option_is_a_usage_error_not_a_pytest_argument(repo: Path) -> None:
    result = omnicloud(repo, "certify", "--contrct", "kv")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "unrecognized argument: --contrct; did you mean '--contract'?" in result.stderr
    assert not (repo / "omnicloud-results").exists()


@pytest.mark.parametrize(
    ("argv", "code", "expected"),
    [
        (["-n", "-1"], 2, "argument -n/--workers: invalid value '-1'"),
        (["-n", "9" * 20], 2, f"argument -n/--workers: invalid value '{'9' * 20}'"),
        (["--shard", f"{'9' * 20}/{'9' * 20}"], 3, "the shard count must be at most 100000"),
    ],
    ids=["negative-workers", "huge-workers", "huge-shard-count"],
)
def test_hostile_numbers_on_the_command_line_are_refused_before_any_work(
    repo: Path, argv: list[str], code: int, expected: str
) -> None:
    # A negative count ran anyway, a huge one was an OverflowError traceback, and a huge
    # shard count allocated a partition per shard until the kernel killed the run.
    result = omnicloud(repo, "certify", *argv, timeout=60)
    assert result.returncode == code, result.stdout + result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_pytest_arguments_after_a_double_dash_pass_through(repo: Path) -> None:
    result = omnicloud(repo, "certify", "--provider", "scratch-kv", "--", "-k", "delete")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "argv",
    [["schema", "-c", "missing.toml"], ["validate", "--env", "local"], ["plugins", "--env", "x"]],
)
def test_an_option_the_command_does_not_use_is_rejected(repo: Path, argv: list[str]) -> None:
    result = omnicloud(repo, *argv)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"omnicloud {argv[0]}: error: unrecognized arguments: {argv[1]}" in result.stderr


def test_a_misspelled_provider_option_is_a_provider_error_before_any_test(tmp_path: Path) -> None:
    config = KV_CONFIG + REDIS_SECTION.replace("prefix = ", "prefx = ")
    repo = make_repo(tmp_path / "repo", config)
    for argv in (
        ["validate", "--imports"],
        ["certify", "--env", "local", "--provider", "redis-kv"],
    ):
        result = omnicloud(repo, *argv)
        assert result.returncode == 4, result.stdout + result.stderr
        assert (
            "providers.redis-kv.options.prefx: the factory 'scratchkv:create_kv' does not take"
            " 'prefx'; did you mean 'prefix'? (accepted: 'prefix', 'tenant_id', 'url')"
        ) in result.stderr
        assert "passed" not in result.stdout


def test_a_misspelled_option_of_a_factory_taking_more_options_is_caught(tmp_path: Path) -> None:
    # The factory passes options it does not name to its client (as the Redis stores do): the
    # signature check could not see 'prefx', and each test failed on the client's TypeError.
    config = KV_CONFIG + REDIS_SECTION.replace("prefix = ", "prefx = ").replace(
        '"{services.redis.url}"', '"{services.redis.url}", socket_timeout = 5'
    )
    repo = make_repo(tmp_path / "repo", config)
    provider = (repo / "scratchkv.py").read_text()
    (repo / "scratchkv.py").write_text(
        provider.replace('def create_kv(url, prefix="", tenant_id=None):', (
            'def create_kv(url, prefix="", tenant_id=None, **client_options):'
        )),
        encoding="utf-8",
    )  # fmt: skip
    result = omnicloud(repo, "validate", "--imports")
    assert result.returncode == 4, result.stdout + result.stderr
    assert (
        "providers.redis-kv.options.prefx: the factory 'scratchkv:create_kv' has no parameter"
        " 'prefx'; did you mean 'prefix'?"
    ) in result.stderr
    (repo / "omnicloud.toml").write_text(config.replace("prefx = ", "prefix = "))
    result = omnicloud(repo, "validate", "--imports")  # socket_timeout goes on to the client
    assert result.returncode == 0, result.stdout + result.stderr


def test_pytest_options_that_look_like_ours_still_reach_pytest(repo: Path) -> None:
    # --co is pytest's --collect-only, close to --config but not a typo of it
    result = omnicloud(repo, "certify", "--provider", "scratch-kv", "--co")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "no test executed" in result.stderr
