"""Reports as people read them: the chat in the rendered report, step names, headlines.

The browser test drives headless Chromium over its DevTools pipe (no extra
package): it opens the single-file Allure report from disk, as a reader does,
and measures how much of the chat is visible inside the report itself.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from runner.report import render_html
from tests.conftest import WriteFile
from tests.report.conftest import RunPytest, allure_results, labels
from tests.report.devtools import CHROMIUM, DevTools
from tests.report.test_render_html import HAS_ALLURE, ROOT, allure_config

LONG_CHAT = """
    scenario: Refund request is escalated to a human
    description: The customer asks for a refund, gets guidance, then a human takes over.
    tags: [refund, escalation]
    mock:
      operator: maria@yourco.com
      replies:
        - when: "(?i)refund"
          reply: "I can help with that. What's your order number?"
          state: collect_order
        - when: {whisper: {matches: "."}}
          reply: "Thanks! Order 1234 qualifies: {{ whisper }}"
        - when: {contains_any: [human, person]}
          reply: "Let me get a colleague for you."
          help_requested: true
      default_reply: "How can I help?"
    steps:
      - customer: "Hi, I want a refund"
        expect: {reply: {contains: order number}, state: collect_order}
      - inject_context: "Phone call: order 1234 arrived damaged"
      - whisper: "Offer a 10% voucher"
      - customer: "It's order 1234"
        expect: {reply: {contains: voucher}}
      - name: Ask for a person
        customer: "Can I talk to a person?"
        expect: {help_requested: true}
      - takeover: "Hi, this is Maria from support."
        expect: {active_human: maria@yourco.com}
      - wait: 2m
      - name: The human answers, not the agent
        customer: "Thanks Maria, is my refund approved?"
        expect:
          reply: {contains: approved}
          mode: ai
    finally:
      - close: null
"""


def _results(run: RunPytest, write: WriteFile, folder: Path) -> dict[str, Any]:
    write(LONG_CHAT, "escalation/refund.scenario.yaml")
    run("--alluredir", str(folder)).assert_outcomes(failed=1)
    (result,) = allure_results(folder)
    return result


# -- the chat inside the rendered report ----------------------------------------------------------


# The chat's frame inside the report: its visible height, and how tall the chat inside it is.
_MEASURE = """(() => {
  for (const frame of document.querySelectorAll('iframe')) {
    const doc = frame.contentDocument;
    const chat = doc && doc.querySelector('.osvi-chat');
    if (!chat || !doc.querySelector('.step.failed')) continue;
    const box = frame.getBoundingClientRect();
    const failed = doc.querySelector('.step.failed').getBoundingClientRect();
    return {frame: box.height, chat: chat.getBoundingClientRect().height,
            failedBottom: failed.bottom, steps: doc.querySelectorAll('.step').length};
  }
  return null;
})()"""


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium: apt-get install chromium")
@pytest.mark.skipif(not HAS_ALLURE, reason="needs Node and `npm ci` (Allure 3)")
def test_the_whole_chat_is_visible_inside_the_rendered_report(
        run: RunPytest, write: WriteFile, tmp_path: Path) -> None:
    _results(run, write, tmp_path / "results")
    index = render_html.render(tmp_path / "results", tmp_path / "report", ROOT,
                               allure_config(tmp_path))
    (failed,) = json.loads((index.parent / "test-results.json").read_text())["byId"].values()
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(f"{index.as_uri()}#{failed['id']}", 1300, 1900)
        seen = browser.wait_for_report(_MEASURE)
    finally:
        browser.close()
    # Nine steps of conversation: far more than the 150 px an unsized frame shows.
    assert seen["steps"] == 9
    assert seen["chat"] > 1000, seen
    # The frame is as tall as the chat: nothing is cut off or hidden behind a scroll bar.
    assert seen["frame"] >= seen["chat"], seen
    assert seen["failedBottom"] <= seen["frame"], seen


# -- step names, the headline, the labels ---------------------------------------------------------


def test_a_step_name_is_shown_in_allure_step_titles_and_the_chat(
        run: RunPytest, write: WriteFile, tmp_path: Path) -> None:
    result = _results(run, write, tmp_path)
    titles = [step["name"] for step in result["steps"]]
    assert titles[4] == 'Ask for a person — customer: "Can I talk to a person?"'
    assert titles[7] == ('The human answers, not the agent — customer: "Thanks Maria, is my '
                         'refund approved?"')
    assert titles[0] == 'customer: "Hi, I want a refund"'  # no name, no prefix
    chat = next(a for a in result["attachments"] if a["name"] == "chat transcript")
    page = (tmp_path / chat["source"]).read_text("utf-8")
    assert re.search(r'class="name">Ask for a person<', page)
    assert re.search(r'class="name">The human answers, not the agent<', page)


def test_a_step_name_titles_a_step_that_never_ran(run: RunPytest, write: WriteFile,
                                                  tmp_path: Path) -> None:
    write("""
        scenario: Stops early
        steps:
          - customer: Hi
            expect: {reply: "something else"}
          - name: Never reached
            customer: Bye
    """)
    run("--alluredir", str(tmp_path)).assert_outcomes(failed=1)
    (result,) = allure_results(tmp_path)
    assert result["steps"][1]["name"] == 'Never reached — customer: "Bye"'
    assert result["steps"][1]["status"] == "skipped"


def test_the_error_headline_is_the_one_line_summary(run: RunPytest, write: WriteFile,
                                                    tmp_path: Path) -> None:
    result = _results(run, write, tmp_path)
    message = result["statusDetails"]["message"]
    assert message.startswith('step 8 failed: The human answers, not the agent — customer: '
                              '"Thanks Maria, is my refund approved?" — reply: expected '), message
    assert "runner.execution.outcomes" not in message and "ScenarioFailed" not in message
    assert "Mismatches:" in result["statusDetails"]["trace"]  # the full report stays


def test_a_broken_scenario_headline_is_its_cause(run: RunPytest, write: WriteFile,
                                                 tmp_path: Path) -> None:
    write("""
        scenario: Archived agent
        mock: {agent: {status: archived}}
        steps:
          - customer: "Hello?"
    """)
    run("--alluredir", str(tmp_path)).assert_outcomes(failed=1)
    (result,) = allure_results(tmp_path)
    assert result["statusDetails"]["message"].startswith(
        'step 1 (customer: "Hello?"): unexpected answer HTTP 422')


def test_labels_that_say_nothing_to_a_reader_are_dropped(run: RunPytest, write: WriteFile,
                                                         tmp_path: Path) -> None:
    result = _results(run, write, tmp_path)
    for noise in ("host", "thread", "language"):
        assert labels(result, noise) == [], noise
    assert sorted(labels(result, "tag")) == ["escalation", "refund"]
    assert labels(result, "suite") == ["refund"]


# -- the run summary ------------------------------------------------------------------------------


def test_the_summary_says_where_the_html_report_will_be(
        run: RunPytest, write: WriteFile, pytester: pytest.Pytester) -> None:
    write("scenario: S\nsteps:\n  - customer: Hi\n")
    result = run("--alluredir", "reports/allure-results")
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    assert "not rendered yet" not in out
    result.stdout.fnmatch_lines([
        "  HTML report: * reports/allure-report/index.html (written by: python -m "
        "runner.report.render_html*)"])
