"""The Python test tier of `npm test`: runs every engines/verl/tests/test_*.py with unittest.

Prints each skipped test with its reason, then one summary line ``python: N passed, N failed, N skipped``;
writes the same counts as JSON to the file named by BNPO_TEST_RESULTS when set (test/harness/tierResult.ts);
exits 1 when anything failed or could not run.
"""

from __future__ import annotations

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def report(passed: int, failed: int, skipped: int) -> int:
    print(f"python: {passed} passed, {failed} failed, {skipped} skipped", flush=True)
    results = os.environ.get("BNPO_TEST_RESULTS")
    if results:
        with open(results, "w", encoding="utf-8") as f:
            json.dump({"passed": passed, "failed": failed, "skipped": skipped}, f)
    return 1 if failed else 0


def main() -> int:
    missing = []
    for module, package in (("torch", "python3-torch"), ("numpy", "python3-numpy")):
        try:
            __import__(module)
        except ImportError as err:
            missing.append(f"{module} ({package}): {err}")
    if missing:
        print(f"{sys.executable} cannot import " + "; ".join(missing), file=sys.stderr)
        print("install them with: apt-get install -y python3-torch python3-numpy (and run /usr/bin/python3)", file=sys.stderr)
        return report(0, 1, 0)
    sys.path.insert(0, HERE)
    suite = unittest.defaultTestLoader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=int(os.environ.get("BNPO_PYTHON_VERBOSITY", "1")), stream=sys.stdout).run(suite)
    for test, reason in result.skipped:
        print(f"skipped: {test.id()}: {reason}")
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped - len(result.expectedFailures)
    return report(passed, failed, skipped)


if __name__ == "__main__":
    sys.exit(main())
