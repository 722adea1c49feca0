"""pytest's ``osvi:`` header says how fast the LLM may be called (``--osvi-llm-rate``).

A slow run of simulations or judged steps is often the LLM rate's doing: the
header shows it beside the run's other pace settings, on one line, and says
nothing about it when it is not set.
"""

from __future__ import annotations

import pytest

from tests.conftest import RunPytest, WriteFile

SCENARIO = """\
scenario: Hello
mock: {default_reply: "Hi."}
steps:
  - customer: Hello
"""


@pytest.fixture(autouse=True)
def _scenario(write: WriteFile) -> None:
    write(SCENARIO)


def test_the_header_shows_the_llm_rate(run: RunPytest) -> None:
    result = run("--osvi-llm-rate", "2")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["osvi: target embedded mock*", "osvi: LLM at most 2 calls/s"],
                                consecutive=True)


def test_the_llm_rate_shares_the_pace_line(run: RunPytest) -> None:
    result = run("--osvi-llm-rate", "0.5", "--osvi-concurrency", "2")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["osvi: 2 scenarios at once, LLM at most 0.5 calls/s"])
    assert len([line for line in result.outlines if line.startswith("osvi:")]) == 2


def test_the_ini_option_shows_too(run: RunPytest, pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nosvi_llm_rate = 3\n")
    result = run()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["osvi: LLM at most 3 calls/s"])


def test_no_llm_rate_no_line(run: RunPytest) -> None:
    result = run()
    result.assert_outcomes(passed=1)
    assert "LLM" not in "\n".join(line for line in result.outlines if line.startswith("osvi:"))
