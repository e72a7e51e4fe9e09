"""The Python tier of `npm test`, run by test/python/run.sh inside the venv test/harness/pythonEnv.sh provides.

Collects with pytest every ``test_*.py`` under engines/verl/tests, engines/trl/tests and test/python (unittest
cases included). Prints each skipped test with its reason, then one summary line
``python: N passed, N failed, N skipped``; writes the same counts as JSON to the file named by BNPO_TEST_RESULTS
when set (test/harness/tierResult.ts); exits 1 when anything failed or could not be collected.
Extra arguments go to pytest (e.g. ``-k trl`` or a file path), in which case only those tests run.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUITES = ["engines/verl/tests", "engines/trl/tests", "test/python"]


class Counts:
    """A pytest plugin that counts outcomes per test (a failing teardown after a pass counts as a failure)."""

    def __init__(self) -> None:
        self.outcome: dict[str, str] = {}
        self.skips: list[str] = []
        self.collect_errors = 0

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" or report.outcome != "passed":
            if report.skipped:
                if hasattr(report, "wasxfail"):  # unittest.expectedFailure: a known defect, named in the test
                    reason = "expected failure (see the test's comment)"
                else:
                    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
                self.skips.append(f"{report.nodeid}: {reason}")
                self.outcome[report.nodeid] = "skipped"
            elif report.failed:
                self.outcome[report.nodeid] = "failed"
            elif report.nodeid not in self.outcome:
                self.outcome[report.nodeid] = "passed"

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.collect_errors += 1


def report(passed: int, failed: int, skipped: int) -> int:
    print(f"python: {passed} passed, {failed} failed, {skipped} skipped", flush=True)
    results = os.environ.get("BNPO_TEST_RESULTS")
    if results:
        with open(results, "w", encoding="utf-8") as f:
            json.dump({"passed": passed, "failed": failed, "skipped": skipped}, f)
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    os.chdir(ROOT)
    targets = argv or [s for s in SUITES if os.path.isdir(s)]
    counts = Counts()
    # No cache folder in the clone; -rN: the skip reasons are printed below, once.
    code = pytest.main(["-p", "no:cacheprovider", "-q", "-rN", "--rootdir", ROOT, *targets], plugins=[counts])
    for line in counts.skips:
        print(f"skipped: {line}")
    values = list(counts.outcome.values())
    failed = values.count("failed") + counts.collect_errors
    if code not in (0, 5) and failed == 0:
        failed = 1  # pytest itself failed (usage error, internal error): the tier must not pass
    return report(values.count("passed"), failed, values.count("skipped"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
