"""Triage runs before the report: report.md carries each violation's category and owners."""

from __future__ import annotations

from pathlib import Path

from trust_support import make_repo, omnicloud

BROKEN = """
class BrokenKV:
    def __init__(self, tenant_id=None):
        self._data = {}

    async def get(self, key):
        return self._data.get(key)

    async def set(self, key, value):
        self._data[key] = value

    async def delete(self, key):
        del self._data[key]  # not idempotent: a KeyError for a missing key
"""

CONFIG = """
[project]
name = "routed"
default_owner = "kv-team"

[sessions]
venv = "none"

[providers.broken-kv]
contract = "kv_store"
factory = "scratchkv:BrokenKV"
"""


def test_report_md_names_category_and_owners_of_each_violation(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", CONFIG, BROKEN)
    result = omnicloud(repo, "certify", "--", "-k", "delete")
    assert result.returncode == 1, result.stdout + result.stderr
    report = (repo / "omnicloud-results" / "report.md").read_text()
    line = next(ln for ln in report.splitlines() if "test_delete_is_idempotent" in ln)
    assert "(failed) [" in line
    assert "; owners: kv-team]" in line
