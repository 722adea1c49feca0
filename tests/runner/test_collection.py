"""Collection: items, names, marks, selection, skip/xfail, options in --help."""

from __future__ import annotations

import pytest

from tests.runner.conftest import WriteScenario

TWO_SCENARIOS = """
scenario: Greets the customer
tags: [greeting, smoke]
steps:
  - customer: "Hi"
---
scenario: Handles refunds
tags: [refund]
steps:
  - customer: "refund please"
"""


def test_one_item_per_document(pytester: pytest.Pytester, write: WriteScenario) -> None:
    write(TWO_SCENARIOS)
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines([
        "chat.scenario.yaml::Greets the customer",
        "chat.scenario.yaml::Handles refunds",
        "2 tests collected*",
    ])


def test_examples_rows_become_items_named_by_id(pytester: pytest.Pytester,
                                                write: WriteScenario) -> None:
    write("""
        scenario: Greets in {{ lang }}
        examples:
          - {id: en, lang: English, hi: Hi}
          - {lang: German, hi: Hallo}
        steps:
          - customer: "{{ hi }}"
        """)
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines([
        "chat.scenario.yaml::Greets in English[[]en[]]",
        "chat.scenario.yaml::Greets in German[[]German-Hallo[]]",
    ])


def test_tags_select_with_m_and_pass_strict_markers(pytester: pytest.Pytester,
                                                    write: WriteScenario) -> None:
    write(TWO_SCENARIOS)
    result = pytester.runpytest("-m", "refund and not smoke", "--strict-markers", "-v")
    result.stdout.fnmatch_lines(["*::Handles refunds PASSED*"])
    result.assert_outcomes(passed=1, deselected=1)


def test_k_selects_by_name(pytester: pytest.Pytester, write: WriteScenario) -> None:
    write(TWO_SCENARIOS)
    result = pytester.runpytest("-k", "greets")
    result.assert_outcomes(passed=1, deselected=1)


def test_skip_and_xfail_keys(pytester: pytest.Pytester, write: WriteScenario) -> None:
    write("""
        scenario: Not ready
        skip: waiting for the new prompt
        steps:
          - customer: "Hi"
        ---
        scenario: Known bug
        xfail: agent forgets the order number
        steps:
          - customer: "Hi"
            expect: {reply: "something else"}
        ---
        scenario: Fixed bug
        xfail: true
        steps:
          - customer: "Hi"
        """)
    result = pytester.runpytest("-rsxX")
    result.assert_outcomes(skipped=1, xfailed=1, xpassed=1)
    result.stdout.fnmatch_lines(["*waiting for the new prompt*",
                                 "*agent forgets the order number*"])


def test_reportinfo_points_at_the_scenario_line(pytester: pytest.Pytester,
                                                write: WriteScenario) -> None:
    write(TWO_SCENARIOS)
    items, _ = pytester.inline_genitems()
    assert [item.reportinfo()[1:] for item in items] == [
        (0, "scenario: Greets the customer"), (5, "scenario: Handles refunds")]


def test_only_scenario_files_are_collected(pytester: pytest.Pytester,
                                           write: WriteScenario) -> None:
    write("replies: []\n", name="agents/bot.yaml")
    write(TWO_SCENARIOS, name="sub/flows.scenario.yml")
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["2 tests collected*"])


def test_patterns_come_from_ini(pytester: pytest.Pytester, write: WriteScenario) -> None:
    write(TWO_SCENARIOS, name="flows.chat.yaml")
    pytester.makeini("[pytest]\nosvi_patterns = *.chat.yaml\n")
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["2 tests collected*"])


def test_options_are_grouped_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines([
        "OSVI chat scenarios:",
        "*--osvi-target*",
        "*--osvi-base-url=URL*",
        "*--osvi-agent=AGENT_UUID*",
        "*--osvi-timeout=DURATION*",
        "*--osvi-max-wait=DURATION*",
        "*--osvi-scenario-timeout=DURATION*",
    ])
