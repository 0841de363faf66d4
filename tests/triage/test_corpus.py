"""Every test tool's JUnit shape, read and classified with the built-in categories.

The files in ``corpus/`` were written for these tests from each format's public description
(pytest, unittest-xml-reporting, Maven Surefire, Ant, TestNG, jest-junit, mocha-junit-reporter,
go-junit-report, gotestsum, cargo-nextest, Catch2, CUnit, PHPUnit, Nette Tester, Bazel,
ScalaTest, Sonobuoy/Ginkgo). Each one states its counts and the category of every failure.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from omnicloud.config.models import FailuresConfig
from omnicloud.results import load_results
from omnicloud.triage.classify import Classifier
from omnicloud.triage.defaults import effective_categories
from omnicloud.triage.inputs import from_results

CORPUS = Path(__file__).parent / "corpus"


@dataclass(frozen=True)
class Expected:
    counts: dict[str, int]
    categories: dict[str, str]
    anomalies: int = 0


EXPECTED: dict[str, Expected] = {
    "pytest-plain.xml": Expected(
        {"passed": 1, "failed": 2, "error": 2},
        {
            "tests.test_client": "setup error",  # collection failure, ModuleNotFoundError
            "tests.test_store::test_keys_sorted": "contract violation",
            "tests.test_store::test_get_missing": "null dereference",
            "tests.test_store::test_with_server": "setup error",  # fixture not found
        },
    ),
    "pytest-omnicloud.xml": Expected(
        {"passed": 1, "failed": 4, "error": 1, "skipped": 1},
        {
            "omnicloud.toml.memory-kv:kv_store::test_delete_missing_key_is_a_no_op": (
                "contract violation"
            ),
            "omnicloud.toml.redis-kv:kv_store::test_set_then_get": "timeout",
            "omnicloud.toml.redis-kv:kv_store::test_scan_prefix": "infrastructure",
            "omnicloud.toml.sqlite-kv:kv_store::test_scan_returns_all_keys": "not implemented",
            "omnicloud.toml.sqlite-kv:kv_store::test_tenant_isolation": "contract violation",
        },
    ),
    "unittest-xmlrunner.xml": Expected(
        {"passed": 1, "failed": 1, "error": 2, "skipped": 1},
        {
            "tests.test_cache.CacheTest::test_expire": "contract violation",
            "tests.test_cache.CacheTest::test_lookup": "null dereference",
            "unittest.loader._FailedTest::tests.test_redis": "setup error",
        },
    ),
    "surefire-TEST-com.acme.kv.RedisKVTest.xml": Expected(
        {"passed": 1, "failed": 2, "error": 1, "flaky": 1},
        {
            "com.acme.kv.RedisKVTest::deleteMissingKey": "contract violation",
            "com.acme.kv.RedisKVTest::connectsToCluster": "infrastructure",
            "com.acme.kv.RedisKVTest::expiresKeys": "flaky",
            "com.acme.kv.RedisKVTest::scanUnsupported": "not implemented",
        },
    ),
    "surefire-TEST-com.acme.kv.ClusterKVTest.xml": Expected(
        {"passed": 1, "error": 2},
        {
            "com.acme.kv.ClusterKVTest::initializationError": "setup error",
            # an assertion reported as <error> is still an assertion
            "com.acme.kv.ClusterKVTest::keysAreSorted": "contract violation",
        },
    ),
    "ant-TEST-com.acme.kv.LegacyKVTest.xml": Expected(
        {"error": 1},
        {"com.acme.kv.LegacyKVTest": "setup error"},  # <error> directly under <testsuite>
    ),
    "ant-TEST-com.acme.kv.KVTest.xml": Expected(
        {"passed": 1, "failed": 1, "error": 1},
        {
            "com.acme.kv.KVTest::testKeysAreSorted": "contract violation",
            "com.acme.kv.KVTest::testDeleteReturnsOldValue": "contract violation",
        },
    ),
    "testng-TEST-com.acme.queue.QueueTest.xml": Expected(
        {"passed": 1, "failed": 2, "skipped": 1},
        {
            "com.acme.queue.QueueTest::acknowledges": "contract violation",
            "com.acme.queue.QueueTest::openQueue": "null dereference",
        },
    ),
    "jest-junit.xml": Expected(
        {"passed": 1, "failed": 2, "skipped": 1},
        {
            "ObjectStore get returns 404 for a missing key": "contract violation",
            "ObjectStore list pages through buckets": "timeout",
        },
    ),
    "jest-junit-suite-failed.xml": Expected(
        {"passed": 1, "failed": 1, "error": 1},
        {
            "Test suite failed to run::src/store.test.ts": "setup error",
            "Cart checkout uses the saved address": "null dereference",
        },
    ),
    "mocha-junit-reporter.xml": Expected(
        {"passed": 1, "failed": 1, "skipped": 1},
        {"acknowledges once::Queue acknowledges once": "contract violation"},
    ),
    "go-junit-report-build-failed.xml": Expected(
        {"passed": 1, "failed": 1, "error": 1},
        {
            "github.com/acme/platform/lock::[build failed]": "setup error",
            "github.com/acme/platform/cache::TestEvict": "null dereference",
        },
    ),
    "gotestsum.xml": Expected(
        {"passed": 2, "failed": 3},
        {
            "github.com/acme/platform/kv::TestDelete/missing_key": "contract violation",
            "github.com/acme/platform/kv::TestWatch": "timeout",
            "github.com/acme/platform/queue::TestPublish": "infrastructure",
        },
    ),
    "gotestsum-rerun-fails.xml": Expected(
        {"passed": 1, "failed": 1, "flaky": 1},  # five testcases, three tests
        {
            "github.com/acme/platform/queue::TestRedeliver": "flaky",  # failed, then passed
            "github.com/acme/platform/queue::TestOrdering": "contract violation",  # failed twice
        },
    ),
    "nextest-junit.xml": Expected(
        {"passed": 1, "failed": 1, "flaky": 1},
        {
            "acme-kv::store::tests::delete_missing_is_noop": "contract violation",
            "acme-kv::store::tests::watch_fires_once": "flaky",
        },
    ),
    "catch2-junit.xml": Expected(
        {"passed": 1, "failed": 2},
        {
            "kv_tests.global::delete removes the key": "contract violation",
            "kv_tests.global::scan/with a prefix": "contract violation",
        },
    ),
    "cunit-junit.xml": Expected(
        {"passed": 2, "failed": 1}, {"kv_suite::test_delete": "contract violation"}
    ),
    "phpunit-junit.xml": Expected(
        {"passed": 1, "failed": 1, "error": 1, "skipped": 1},
        {
            "Acme.Tests.KVStoreTest::testDeleteMissing": "contract violation",
            "Acme.Tests.KVStoreTest::testConnect": "null dereference",
        },
    ),
    "nette-tester-junit.xml": Expected(
        {"passed": 1, "failed": 2, "skipped": 1},
        {"tests/KV/Delete.phpt": "contract violation", "tests/KV/Redis.phpt": "setup error"},
    ),
    "bazel-test.xml": Expected(
        {"error": 1},
        # the message says "exited with error code 1"; the suite's <system-out> says why
        {"//services/kv:kv_test": "setup error"},
    ),
    "scalatest-TEST-com.acme.cache.CacheSpec.xml": Expected(
        {"passed": 1, "failed": 1, "skipped": 1},
        {"com.acme.cache.CacheSpec::A cache should evict the oldest entry": "contract violation"},
    ),
    "sonobuoy-e2e-junit_01.xml": Expected(
        {"passed": 1, "failed": 2, "skipped": 1},
        {
            "Kubernetes e2e suite::[sig-network] Services should serve a basic endpoint from pods"
            "  [Conformance]": "timeout",
            "Kubernetes e2e suite::[sig-apps] Deployment should run the lifecycle of a Deployment"
            " [Conformance]": "contract violation",
        },
    ),
    "counts-without-testcases.xml": Expected(
        {"error": 1},
        {"com.acme.queue.LostResultsTest": "incomplete results"},
        anomalies=2,  # tests=3 with no testcase; failures=1 not in the file
    ),
}


def test_every_corpus_file_has_expectations() -> None:
    assert sorted(p.name for p in CORPUS.glob("*.xml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_and_categories(name: str) -> None:
    expected = EXPECTED[name]
    results = load_results([CORPUS / name])
    assert dict(Counter(t.status for t in results)) == expected.counts
    assert len(results.anomalies) == expected.anomalies
    run = from_results(results)
    classifier = Classifier(effective_categories(FailuresConfig()))
    got = {
        failure.test_id: classification.category
        for failure, classification in zip(
            run.failures, classifier.classify_all(run.failures), strict=True
        )
    }
    assert got == expected.categories


def test_the_whole_corpus_has_no_unclassified_failure() -> None:
    run = from_results(load_results([CORPUS]))
    categories = Classifier(effective_categories(FailuresConfig())).classify_all(run.failures)
    assert len(run.failures) == sum(len(e.categories) for e in EXPECTED.values())
    assert "unclassified" not in {c.category for c in categories}


def test_a_failure_only_under_testsuite_exits_1_through_the_command(tmp_path: Path) -> None:
    junit = tmp_path / "TEST-com.acme.Broken.xml"
    junit.write_text(
        '<testsuite name="com.acme.Broken" tests="0" failures="0" errors="1">'
        '<error type="java.lang.ClassNotFoundException" message="com.acme.Broken"/>'
        "</testsuite>"
    )
    done = subprocess.run(
        [sys.executable, "-m", "omnicloud", "triage", str(junit), "--no-history"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[setup error] com.acme.Broken" in done.stdout


def test_counts_without_testcases_exit_1_and_are_reported(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "omnicloud",
            "triage",
            str(CORPUS / "counts-without-testcases.xml"),
            "--no-history",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[incomplete results] com.acme.queue.LostResultsTest" in done.stdout
    assert "says tests=3 but holds no testcase" in done.stderr


def test_results_read_once_are_triaged_without_reading_again(tmp_path: Path) -> None:
    from omnicloud.shard.junit import durations_from_junit, durations_from_results
    from omnicloud.triage.run import triage_results

    path = CORPUS / "gotestsum-rerun-fails.xml"
    results = load_results([path])
    report = triage_results(
        None, [tmp_path / "never-read.xml"], tmp_path, results=results, use_history=False
    )
    assert sorted((f.failure.test_id, f.category) for f in report.failures) == [
        ("github.com/acme/platform/queue::TestOrdering", "contract violation"),
        ("github.com/acme/platform/queue::TestRedeliver", "flaky"),
    ]
    assert durations_from_results(results) == durations_from_junit([path])
    assert durations_from_results(results)["github.com/acme/platform/queue::TestRedeliver"] == 0.9
