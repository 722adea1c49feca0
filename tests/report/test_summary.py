"""The terminal summary: outcomes per tag, slowest steps, where the reports went."""

from __future__ import annotations

from runner.core.redact import Redactor
from runner.report.summary import ScenarioOutcome, build_summary
from tests.report.factories import TOKEN, rich_result


def outcomes() -> list[ScenarioOutcome]:
    result = rich_result()
    result.steps[2].stopped = result.steps[2].started + 7.5  # the slowest step
    return [
        ScenarioOutcome("Refund", ("refund", "escalation"), "failed", result),
        ScenarioOutcome("Greeting[de]", ("i18n",), "passed"),
        ScenarioOutcome("Greeting[en]", ("i18n",), "broken"),
        ScenarioOutcome(f"Untagged {TOKEN}", (), "skipped"),
    ]


def test_outcomes_per_tag_with_a_total() -> None:
    lines = build_summary(outcomes(), [], Redactor([TOKEN]))
    table = {line.split()[0]: line.split()[-4:] for line in lines[:7] if line[:1] != "-"}
    assert table["tag"] == ["passed", "failed", "broken", "skipped"]
    assert table["escalation"] == ["0", "1", "0", "0"]
    assert table["i18n"] == ["1", "0", "1", "0"]
    assert table["(no"] == ["0", "0", "0", "1"]
    assert lines[6].startswith("all scenarios") and lines[6].split()[-4:] == ["1", "1", "1", "1"]


def test_the_five_slowest_steps_come_first() -> None:
    lines = build_summary(outcomes(), [], Redactor())
    start = lines.index("slowest steps:")
    slow = lines[start + 1:start + 6]
    assert len(slow) == 5 and lines[start + 6:start + 7] in ([""], [])
    assert slow[0].split() == ["7.5s", "Refund", "·", "step", "3", "takeover:", '"Hi,', "this",
                               "is", 'Maria"']


def test_report_locations_and_file_errors_are_listed_and_redacted() -> None:
    lines = build_summary(outcomes(), [("Allure results", "reports/allure-results"),
                                       ("JUnit XML", "reports/junit.xml")],
                          Redactor([TOKEN]), file_errors=["scenarios/bad.scenario.yaml"])
    text = "\n".join(lines)
    assert "  Allure results: reports/allure-results" in text
    assert "  JUnit XML:      reports/junit.xml" in text
    assert "scenario files that could not be loaded (1):\n  scenarios/bad.scenario.yaml" in text
    assert TOKEN not in text


def test_nothing_to_say_without_scenarios() -> None:
    assert build_summary([], [], Redactor()) == []
