"""Repetition end to end: pass rates, the flaky step in every report, --osvi-repeat."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from tests.toolkit.conftest import RunPytest, WriteFile

FLAKY = """
    scenario: Refund confirmation
    repeat: {{runs: 5, min_pass_rate: {rate}}}
    mock:
      replies:
        - when: "(?i)refund"
          reply: "What's your order number?"
          state: collect_order
        - when: {{state: "^collect_order$"}}
          reply: "Refund for order {{{{ message }}}} started."
          flaky: {{every: 4, reply: "Refund started."}}
    steps:
      - customer: "I want a refund"
      - customer: "4711"
        expect: {{reply: {{contains: "4711"}}}}
"""


def test_passes_when_the_pass_rate_reaches_the_threshold(
        write: WriteFile, run: RunPytest, pytester: pytest.Pytester) -> None:
    write(FLAKY.format(rate=0.8))
    result = run("--junitxml=junit.xml")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "repeated scenarios:",
        "  Refund confirmation: 4/5 runs passed, 1 failed (80%; needs at least 80%) ✓",
        '    step 2 customer: "4711" passed 4/5 (80%) · failed in run 4',
    ])
    case = ET.parse(pytester.path / "junit.xml").getroot().find(".//testcase")
    assert case is not None
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties["repeat"] == "4/5 runs passed, 1 failed (80%; needs at least 80%)"
    assert properties["run_outcomes"] == "1:passed 2:passed 3:passed 4:failed 5:passed"
    assert properties["pass_rate step 2"] == '4/5 (80%) customer: "4711"'
    out = case.find("system-out")
    assert out is not None and out.text is not None
    assert '! step 2 customer: "4711" passed 4/5 (80%) · failed in run 4' in out.text


def test_fails_below_the_threshold_and_shows_every_run(write: WriteFile,
                                                       run: RunPytest) -> None:
    # The flaky reply comes last (run 5): every run is needed to reach the verdict.
    write(FLAKY.format(rate=1).replace("every: 4", "every: 5"))
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "Repeated 5 times: 4/5 runs passed, 1 failed (80%; needs at least 100%) ✗",
        "",
        "Runs:",
        "  run 1   passed  customer osvi-qa-*",
        "  run 2   passed  customer osvi-qa-*",
        "  run 3   passed  customer osvi-qa-*",
        "  run 4   passed  customer osvi-qa-*",
        "  run 5   failed  customer osvi-qa-* · at step 2 (reply)",
        "",
        "Step pass rates:",
        '  step 1 customer: "I want a refund" passed 5/5 (100%)',
        '! step 2 customer: "4711" passed 4/5 (80%) · failed in run 5',
        "",
        "Run 5, the first that did not pass:",
        "",
        "Scenario 'Refund confirmation' (chat.scenario.yaml:1)",
        "*",
        "*agent       Refund started.",
        "*",
        '✗ step 2 failed: customer: "4711"   (chat.scenario.yaml:13)',
        "*",
        "Mismatches:",
        '  reply  expected: contains "4711"',
        '           actual: "Refund started."',
    ])
    result.stdout.fnmatch_lines(["FAILED chat.scenario.yaml::Refund confirmation - 4/5 runs*"])


def test_every_run_has_its_own_customer(write: WriteFile, run: RunPytest,
                                        pytester: pytest.Pytester) -> None:
    write(FLAKY.format(rate=0.8))
    result = run("--junitxml=junit.xml")
    text = result.stdout.str() + (pytester.path / "junit.xml").read_text()
    runs = [line for line in text.splitlines() if line.strip().startswith("run ")]
    customers = {line.split("customer ")[1].split()[0] for line in runs if "customer " in line}
    assert len(customers) == 5


def test_the_option_overrides_runs_and_keeps_the_threshold(write: WriteFile,
                                                           run: RunPytest) -> None:
    write(FLAKY.format(rate=0.8))
    result = run("--osvi-repeat", "10")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "  Refund confirmation: 8/10 runs passed, 2 failed (80%; needs at least 80%) ✓",
        '    step 2 customer: "4711" passed 8/10 (80%) · failed in runs 4, 8',
    ])
    assert run("--osvi-repeat", "3").ret == 0  # runs 1-3: the flaky 4th never comes


def test_the_option_repeats_scenarios_without_repeat_and_needs_every_run(
        write: WriteFile, run: RunPytest) -> None:
    write(FLAKY.format(rate=0.8).replace("    repeat: {runs: 5, min_pass_rate: 0.8}\n", "")
          .replace("every: 4", "every: 5"))
    assert "repeated scenarios:" not in run().stdout.str()
    result = run("--osvi-repeat", "5")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["Repeated 5 times: 4/5 runs passed, 1 failed "
                                 "(80%; needs at least 100%) ✗"])


def test_a_bad_option_value_is_a_usage_error(write: WriteFile, run: RunPytest) -> None:
    write(FLAKY.format(rate=0.8))
    result = run("--osvi-repeat", "many")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--osvi-repeat: 'many' is not a number of runs from 1 to 100;"
                                 " write e.g. --osvi-repeat 5"])


def test_allure_shows_each_run_as_a_step_with_its_own_steps(
        write: WriteFile, run: RunPytest, pytester: pytest.Pytester) -> None:
    write(FLAKY.format(rate=0.8))
    result = run("--alluredir=allure")
    result.assert_outcomes(passed=1)
    [test] = [json.loads(p.read_text()) for p in (pytester.path / "allure").glob("*-result.json")]
    assert test["status"] == "passed"
    names = [(step["name"], step["status"]) for step in test["steps"]]
    assert names == [("run 1 of 5: passed", "passed"), ("run 2 of 5: passed", "passed"),
                     ("run 3 of 5: passed", "passed"),
                     ('run 4 of 5: failed at step 2 customer: "4711"', "failed"),
                     ("run 5 of 5: passed", "passed"),
                     ("step pass rates over 5 runs", "passed")]
    assert [s["status"] for s in test["steps"][3]["steps"]] == ["passed", "failed"]
    rates = [s["name"] for s in test["steps"][5]["steps"]]
    assert rates[1] == 'step 2 customer: "4711" passed 4/5 (80%) · failed in run 4'
    assert "**Repeated:** 4/5 runs passed" in test["description"]
