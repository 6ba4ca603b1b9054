"""runpy.py -- runs the Python integration and end-to-end tests.

    python3 tests/runpy.py [pattern-dir ...]

Discovers test_*.py under tests/integration and tests/e2e (or the folders
given), runs them with unittest and ends with the line
"N passed, N failed" (skips are counted, never hidden)."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


class CountingResult(unittest.TextTestResult):
    """Counts successes directly: testsRun misses class-level errors."""
    successes = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.successes += 1


def main():
    dirs = sys.argv[1:] or [os.path.join(HERE, "integration"),
                            os.path.join(HERE, "e2e")]
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    for d in dirs:
        suite.addTests(loader.discover(d, pattern="test_*.py", top_level_dir=d))
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout,
                                     resultclass=CountingResult).run(suite)
    # errors in setUpClass are not tests run, but they are failures
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.successes
    line = "%d passed, %d failed" % (passed, failed)
    if result.skipped:
        line += ", %d skipped" % len(result.skipped)
    print(line)
    sys.exit(1 if failed or result.testsRun == 0 else 0)


if __name__ == "__main__":
    main()
