"""``--omnicloud-reruns N``: re-run failed tests in a fresh process and record flakes in JUnit.

At the end of a run that wrote JUnit (``--junitxml``) and had failures, the failed tests are
re-run up to N times by ``omnicloud.triage.flakes.rerun_failed``, each time in a new pytest
process, and the JUnit file is rewritten with ``flakyFailure``/``rerunFailure`` evidence. When
every failure turned out flaky the run's exit status becomes 0. N defaults to the configuration's
``failures.reruns`` (then ``run.reruns``) when an omnicloud configuration is in use.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from omnicloud.pytest_plugins import RERUN_CHILD_ENV


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("omnicloud")
    group.addoption(
        "--omnicloud-reruns",
        type=int,
        default=None,
        metavar="N",
        help="re-run failed tests up to N times in a fresh process; a pass marks them flaky"
        " (default: failures.reruns from omnicloud.toml)",
    )


def _reruns(config: pytest.Config) -> int:
    value = config.getoption("--omnicloud-reruns")
    if value is not None:
        return int(value)
    try:
        from omnicloud import plugin

        loaded = plugin.omnicloud_config(config)
    except Exception:
        return 0
    return int(loaded.failures.reruns or loaded.run.reruns)


def _options(config: pytest.Config) -> list[str]:
    """The invocation's arguments without its positional test paths."""
    args = list(config.invocation_params.args)
    for positional in config.args:
        if positional in args:
            args.remove(positional)
    return args


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    xmlpath = getattr(config.option, "xmlpath", None)
    if (
        exitstatus != pytest.ExitCode.TESTS_FAILED
        or not xmlpath
        or os.environ.get(RERUN_CHILD_ENV)
        or hasattr(config, "workerinput")  # an xdist worker: the controller re-runs
    ):
        return
    reruns = _reruns(config)
    if reruns <= 0:
        return
    path = Path(xmlpath)
    if not path.is_absolute():
        path = config.invocation_params.dir / path
    if not path.exists():
        return
    from omnicloud.errors import OmnicloudError
    from omnicloud.results import parse_tree
    from omnicloud.triage.flakes import rerun_failed  # imported only when re-running

    try:
        rerun_failed(
            path,
            _options(config),
            reruns,
            cwd=config.invocation_params.dir,
            rootdir=config.rootpath,
        )
        root = parse_tree(path).getroot()
    except OmnicloudError as exc:  # the run's own result stands; say why nothing was re-run
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"omnicloud re-runs skipped: {exc.message}", yellow=True)
        return
    if not any(
        c.find("failure") is not None or c.find("error") is not None for c in root.iter("testcase")
    ):
        session.exitstatus = pytest.ExitCode.OK
