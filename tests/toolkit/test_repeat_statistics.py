"""Repetition statistics end to end: the Wilson interval, pass^k, `confidence`, early stops,
and repeats run concurrently under --osvi-concurrency."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from runner.core.pass_statistics import wilson_interval
from tests.toolkit.conftest import RunPytest, WriteFile

# Run N (N = every, 2*every, ...) gets the wrong reply: a known pass rate.
SCENARIO = """
    scenario: Refund confirmation
    repeat: {repeat}
    mock:
      replies:
        - when: "(?i)refund"
          reply: "What's your order number?"
          state: collect_order
        - when: {{state: "^collect_order$"}}
          reply: "Refund for order {{{{ message }}}} started."
          flaky: {{every: {every}, reply: "Refund started."}}
    steps:
      - customer: "I want a refund"
      - customer: "4711"
        expect: {{reply: {{contains: "4711"}}}}
"""


def _properties(pytester: pytest.Pytester) -> dict[str | None, str | None]:
    case = ET.parse(pytester.path / "junit.xml").getroot().find(".//testcase")
    assert case is not None
    return {p.get("name"): p.get("value") for p in case.iter("property")}


def test_the_wilson_interval_matches_the_textbook_values() -> None:
    low, high = wilson_interval(4, 5)
    assert (round(low, 3), round(high, 3)) == (0.376, 0.964)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(10, 10)[1] == 1.0


def test_the_summary_and_junit_show_the_interval_and_pass_k(
        write: WriteFile, run: RunPytest, pytester: pytest.Pytester) -> None:
    write(SCENARIO.format(repeat="{runs: 5, min_pass_rate: 0.8}", every=4))
    result = run("--junitxml=junit.xml")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "  Refund confirmation: 4/5 runs passed, 1 failed (80%; needs at least 80%) ✓",
        "    95% interval 38%-96% · pass^5 33% (rate^5) · all 5 passed: no · ran 5 of 5",
    ])
    properties = _properties(pytester)
    assert properties["pass_rate_interval"] == "0.376-0.964"
    assert properties["pass_rate_confidence"] == "0.95"
    assert properties["pass^5"] == "0.328"
    assert properties["all_runs_passed"] == "false"
    assert properties["runs_made"] == "ran 5 of 5"


def test_confidence_decides_on_the_lower_bound_and_stops_when_it_cannot_reach_it(
        write: WriteFile, run: RunPytest, pytester: pytest.Pytester) -> None:
    # Without confidence, 16/20 passing runs reach 80%; the interval's lower bound cannot.
    write(SCENARIO.format(repeat="{runs: 20, min_pass_rate: 0.8}", every=5))
    assert run().ret == 0
    write(SCENARIO.format(repeat="{runs: 20, min_pass_rate: 0.8, confidence: 0.95}", every=5))
    result = run("--junitxml=junit.xml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "Repeated 5 times: 4/5 runs passed, 1 failed (80%, 95% interval 38%-96%; "
        "needs a lower bound of at least 80%) ✗",
        "  95% interval 38%-96% · pass^5 33% (rate^5) · all 5 passed: no",
        "  ran 5 of 20: stopped early, the lower bound stays below 80% (at most 76%) "
        "even if every other run passes",
        "Runs:",
    ])
    assert _properties(pytester)["runs_made"].startswith(  # type: ignore[union-attr]
        "ran 5 of 20: stopped early")


def test_confidence_passes_when_the_lower_bound_reaches_the_threshold(
        write: WriteFile, run: RunPytest) -> None:
    write(SCENARIO.format(repeat="{runs: 30, min_pass_rate: 0.6, confidence: 0.9}", every=50))
    result = run()
    result.assert_outcomes(passed=1)
    # It stops once even failures in every run still to come keep the bound at 60%.
    text = result.stdout.str()
    line = next(line for line in text.splitlines() if "ran " in line)
    made = int(line.split("ran ")[1].split(" of ")[0])
    assert made < 30 and "stopped early, the lower bound stays at or above 60%" in line


def test_repeats_stop_once_enough_runs_passed(write: WriteFile, run: RunPytest) -> None:
    write(SCENARIO.format(repeat="{runs: 10, min_pass_rate: 0.5}", every=50))
    result = run()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "  Refund confirmation: 5/5 runs passed (100%; needs at least 50%) ✓",
        "    * · all 5 passed: yes · ran 5 of 10: stopped early, 5 passed, the 5 needed",
    ])


def test_repeats_stop_once_the_threshold_is_out_of_reach(write: WriteFile,
                                                         run: RunPytest) -> None:
    write(SCENARIO.format(repeat="{runs: 10}", every=2))
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "Repeated 2 times: 1/2 runs passed, 1 failed (50%; needs at least 100%) ✗",
        "  ran 2 of 10: stopped early, 1 did not pass: 10 passes are out of reach",
    ])


def _run_times(pytester: pytest.Pytester) -> list[tuple[str, str]]:
    [path] = (pytester.path / "out").glob("*.transcript.json")
    return [(r["started"], r["stopped"]) for r in json.loads(path.read_text())["runs"]]


def test_repeats_run_concurrently_under_osvi_concurrency_and_one_by_one_without(
        write: WriteFile, run: RunPytest, pytester: pytest.Pytester) -> None:
    write(SCENARIO.format(repeat="{runs: 3}", every=50).replace(
        "    mock:\n", "    mock:\n      latency: 150ms\n"))
    run("--osvi-transcripts", "out").assert_outcomes(passed=1)
    times = _run_times(pytester)
    assert all(times[n][1] <= times[n + 1][0] for n in range(2))  # one after the other
    run("--osvi-transcripts", "out", "--osvi-concurrency", "3").assert_outcomes(passed=1)
    times = _run_times(pytester)
    assert len(times) == 3
    assert times[1][0] < times[0][1] and times[2][0] < times[0][1]  # overlapping


def test_a_confidence_no_run_count_can_satisfy_is_a_collection_error(
        write: WriteFile, run: RunPytest) -> None:
    write(SCENARIO.format(repeat="{runs: 5, min_pass_rate: 0.8, confidence: 0.95}", every=5))
    result = run()
    assert result.ret != 0
    result.stdout.fnmatch_lines([
        "*chat.scenario.yaml:2: `repeat` can never pass: even 5/5 passing runs give a 95% "
        "lower bound of 57%, below min_pass_rate 0.8; write `runs: 16` or more, or a lower "
        "min_pass_rate or a lower confidence"])
