"""Which shard to run: --shard i/N and the CI variables, with exact error messages."""

from __future__ import annotations

import pytest

from omnicloud.errors import ExitCode, SelectionError
from omnicloud.shard.spec import ShardSpec, parse_shard, resolve_shard, shard_from_environment

ACCEPTED = "accepted: i/N with 1 <= i <= N (e.g. 2/4), or 'off'"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1/4", ShardSpec(1, 4)), (" 4 / 4 ", ShardSpec(4, 4)), ("1/1", ShardSpec(1, 1))],
)
def test_parse_accepts_i_of_n(text: str, expected: ShardSpec) -> None:
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["off", "OFF", "none"])
def test_off_disables_sharding(text: str) -> None:
    assert parse_shard(text) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5/4", "--shard: invalid shard '5/4': the shard index must be between 1 and 4"),
        ("0/3", "--shard: invalid shard '0/3': the shard index must be between 1 and 3"),
        ("1/0", "--shard: invalid shard '1/0': the shard count must be at least 1"),
        ("x", "--shard: invalid shard 'x': not of the form i/N"),
        ("-1/3", "--shard: invalid shard '-1/3': not of the form i/N"),
    ],
)
def test_bad_values_are_selection_errors_naming_the_option(text: str, message: str) -> None:
    with pytest.raises(SelectionError) as caught:
        parse_shard(text)
    assert caught.value.message == message
    assert caught.value.hint == ACCEPTED
    assert caught.value.exit_code == ExitCode.SELECTION == 3


def test_gitlab_variables_are_one_based() -> None:
    spec = shard_from_environment({"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "5"})
    assert spec == ShardSpec(2, 5, "CI_NODE_INDEX/CI_NODE_TOTAL")


def test_kubernetes_completion_index_is_zero_based() -> None:
    spec = shard_from_environment({"JOB_COMPLETION_INDEX": "0", "OMNICLOUD_SHARD_COUNT": "3"})
    assert spec == ShardSpec(1, 3, "JOB_COMPLETION_INDEX/OMNICLOUD_SHARD_COUNT")


def test_kubernetes_index_without_a_count_is_an_error() -> None:
    with pytest.raises(
        SelectionError, match="JOB_COMPLETION_INDEX is set but OMNICLOUD_SHARD_COUNT"
    ):
        shard_from_environment({"JOB_COMPLETION_INDEX": "1"})


def test_gitlab_index_beyond_total_is_an_error() -> None:
    with pytest.raises(SelectionError) as caught:
        shard_from_environment({"CI_NODE_INDEX": "4", "CI_NODE_TOTAL": "3"})
    assert caught.value.message == (
        "CI_NODE_INDEX/CI_NODE_TOTAL: invalid shard '4/3': the shard index must be between 1 and 3"
    )


def test_precedence_option_then_omnicloud_then_kubernetes_then_gitlab() -> None:
    env = {
        "OMNICLOUD_SHARD": "2/2",
        "JOB_COMPLETION_INDEX": "0",
        "OMNICLOUD_SHARD_COUNT": "7",
        "CI_NODE_INDEX": "1",
        "CI_NODE_TOTAL": "9",
    }
    assert resolve_shard("3/4", env) == ShardSpec(3, 4)
    assert resolve_shard(None, env) == ShardSpec(2, 2, "OMNICLOUD_SHARD")
    del env["OMNICLOUD_SHARD"]
    assert resolve_shard(None, env) == ShardSpec(1, 7, "JOB_COMPLETION_INDEX/OMNICLOUD_SHARD_COUNT")
    del env["JOB_COMPLETION_INDEX"]
    assert resolve_shard(None, env) == ShardSpec(1, 9, "CI_NODE_INDEX/CI_NODE_TOTAL")
    assert resolve_shard("off", env) is None
    assert resolve_shard(None, {}) is None


def test_str_is_the_one_based_form() -> None:
    assert str(ShardSpec(2, 4)) == "2/4"
    assert ShardSpec(2, 4).zero_based == 1
