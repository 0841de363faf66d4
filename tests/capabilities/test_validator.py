"""Claims versus results: every status a (provider, interface) cell can have."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from omnicloud.capabilities import EXPECTED_PREFIX, classify


@dataclass(frozen=True)
class T:
    outcome: str
    message: str = ""


PASS, FAIL, ERROR, SKIP = T("passed"), T("failed"), T("error"), T("skipped", "needs redis")
XFAIL = T("skipped", EXPECTED_PREFIX + "[notyet]: later")


@pytest.mark.parametrize(
    ("tests", "claimed", "expected", "status"),
    [
        ([PASS, PASS], True, False, "pass"),
        ([PASS, SKIP], True, False, "pass"),
        ([PASS, FAIL], True, False, "false_claim"),
        ([PASS, ERROR], True, False, "false_claim"),
        ([], True, False, "not_run"),
        ([SKIP, SKIP], True, False, "not_run"),
        ([PASS, FAIL], True, True, "expected_failure"),
        ([PASS, XFAIL], True, True, "expected_failure"),
        ([PASS, PASS], True, True, "unexpected_pass"),
        ([], True, True, "not_run"),
        ([], False, False, "not_claimed"),
        ([PASS, PASS], False, False, "probe_pass"),
        ([PASS, FAIL], False, False, "not_claimed"),
        ([SKIP], False, False, "not_claimed"),
    ],
)
def test_interface_cells(tests: list[T], claimed: bool, expected: bool, status: str) -> None:
    assert classify(tests, claimed=claimed, expected=expected) == status


@pytest.mark.parametrize(
    ("tests", "status"), [([PASS], "pass"), ([PASS, FAIL], "fail"), ([], "not_run")]
)
def test_contract_cells(tests: list[T], status: str) -> None:
    assert classify(tests, claimed=True, contract=True) == status


def test_a_skip_with_another_reason_is_not_an_expected_failure() -> None:
    assert (
        classify([PASS, T("skipped", "xfail for another reason")], claimed=True, expected=True)
        == "unexpected_pass"
    )
