"""Same config and seed -> byte-identical data in different processes, days, zones and locales.

The clock is faked with a ``sitecustomize`` module on ``PYTHONPATH`` (no extra system package):
it shifts ``time.time`` and makes ``datetime.now``/``date.today`` follow it, so each process
believes it runs on a different day. A pinned digest guards against drift across machines and
Python versions: if it changes, generated data changed and ``GENERATOR_VERSION`` must be bumped.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = """\
[project]
results_dir = "results"

[data.users]
count = 1000
seed = 42
fields = { id = "uuid", name = "name", email = "email", created_at = "timestamp" }

[data.payment_methods]
count = 300
seed = 7
[data.payment_methods.fields]
id = "uuid"
user_id = "ref:users.id"
type = "enum:credit_card,paypal,bank_transfer"
details = "json"
age = { type = "int:18..90", nullable = 0.1 }
score = "float:0..100"
active = "bool:0.7"
bio = "text:3..8"
plan = "choice:free=9,pro=1"
number = { type = "sequence", format = "PM-{:05d}" }
code = 'pattern:[A-Z]{3}-\\d{4}'
address = { type = "object", fields = { city = "word", zip = 'pattern:\\d{5}' } }
seen = "timestamp:date"
"""

SITECUSTOMIZE = """\
import datetime as _dt
import os
import time as _time

_shift = float(os.environ["FAKE_NOW"]) - _time.time()
_real_time = _time.time
_time.time = lambda: _real_time() + _shift
_time.time_ns = lambda: int(_time.time() * 1e9)
_real_gmtime, _real_localtime = _time.gmtime, _time.localtime
_time.gmtime = lambda secs=None: _real_gmtime(_time.time() if secs is None else secs)
_time.localtime = lambda secs=None: _real_localtime(_time.time() if secs is None else secs)


class _FakeDateTime(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return _dt.datetime.fromtimestamp(_time.time(), tz)

    @classmethod
    def utcnow(cls):
        return _dt.datetime.fromtimestamp(_time.time(), _dt.timezone.utc).replace(tzinfo=None)


class _FakeDate(_dt.date):
    @classmethod
    def today(cls):
        return _dt.date.fromtimestamp(_time.time())


_dt.datetime = _FakeDateTime
_dt.date = _FakeDate
"""

#: sha256 of users.jsonl and payment_methods.jsonl for CONFIG (generator version 1).
PINNED = {
    "users.jsonl": "99f34e857cc1205ad16ad4a7c9bbafcbd40aa160e4e9a5015eb98f0ca712c132",
    "payment_methods.jsonl": "bc3a6b91f430c5f9a1626bddc562af6b5032bacee3684657ab8fe3ac7d6d6a70",
}

DAYS = {
    "2031-07-04": ("1941234000", "Pacific/Kiritimati", "C", "1"),
    "1999-12-31": ("946684799", "America/Los_Angeles", "C.UTF-8", "random"),
}


def run_on_day(tmp_path: Path, day: str) -> Path:
    now, zone, locale, hashseed = DAYS[day]
    work = tmp_path / day
    work.mkdir()
    (work / "omnicloud.toml").write_text(CONFIG, encoding="utf-8")
    site = work / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env = {
        **os.environ,
        "FAKE_NOW": now,
        "TZ": zone,
        "LC_ALL": locale,
        "LANG": locale,
        "PYTHONHASHSEED": hashseed,
        "PYTHONPATH": str(site),
    }
    env.pop("OMNICLOUD_CONFIG", None)
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import datetime, time; print(datetime.datetime.now().year, time.gmtime().tm_year)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=work,
    )
    assert probe.stdout.split() == [day[:4], day[:4]]  # the fake clock is in effect
    subprocess.run(
        [sys.executable, "-m", "omnicloud", "data", "--out", "out"],
        env=env,
        cwd=work,
        check=True,
        capture_output=True,
    )
    return work / "out"


@pytest.mark.slow
def test_two_days_produce_identical_bytes(tmp_path: Path) -> None:
    first = run_on_day(tmp_path, "2031-07-04")
    second = run_on_day(tmp_path, "1999-12-31")
    names = sorted(p.name for p in first.iterdir())
    assert names == [
        "manifest.json",
        "payment_methods.csv",
        "payment_methods.jsonl",
        "users.csv",
        "users.jsonl",
    ]
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    digests = {n: hashlib.sha256((first / n).read_bytes()).hexdigest() for n in PINNED}
    assert digests == PINNED
