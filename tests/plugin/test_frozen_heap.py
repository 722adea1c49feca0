"""A run with scenarios freezes what start-up and collection built; a plain run does not.

In a child process: freezing is process-wide, and the test process must keep its own.
"""

from __future__ import annotations

import pytest

PROBE = """
import gc, pathlib

def pytest_runtestloop(session):
    pathlib.Path("frozen.txt").write_text(str(gc.get_freeze_count()))
"""


@pytest.mark.spawns
def test_scenarios_run_with_the_collected_heap_frozen(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PROBE)
    pytester.makefile(".scenario.yaml", hello="scenario: Hello\nsteps:\n  - customer: Hi\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:schemathesis")
    result.assert_outcomes(passed=1)
    # Every module, schema and collected item: far more than any handful of objects.
    assert int((pytester.path / "frozen.txt").read_text()) > 10_000


@pytest.mark.spawns
def test_a_run_without_scenarios_keeps_the_collector_as_it_was(
        pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PROBE)
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:schemathesis",
                                           "--osvi-target", "mock")
    result.assert_outcomes(passed=1)
    assert (pytester.path / "frozen.txt").read_text() == "0"
