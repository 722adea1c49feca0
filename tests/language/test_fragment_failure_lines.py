"""A failing step that came from ``include:`` is named where it really is.

The failure view, pytest's short summary, the Allure step and its parameters
say "fragments/login.yaml:4, included from refund.scenario.yaml:8", not just
the scenario's ``include:`` line, so a person opens the right file at the
right line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import RunPytest, WriteFile

LOGIN = """\
# A shared login, lines counted from here
- customer: "Hi, I am {{ name }}"
  save: {sid: session_id}
- customer: "Where is order {{ order }}?"
  expect: {reply: {contains: "shipped"}}
"""

SCENARIO = """\
scenario: Refund after login
vars: {order: A-17}
mock:
  default_reply: "Noted."
steps:
  - customer: "Hello"
  - include: {file: fragments/login.yaml, with: {name: Anna}}
  - customer: "Bye"
"""


@pytest.fixture
def failing(write: WriteFile) -> None:
    write(LOGIN, "fragments/login.yaml")
    write(SCENARIO, "refund.scenario.yaml")


@pytest.mark.usefixtures("failing")
def test_the_failure_view_names_the_fragment_line_and_the_include(run: RunPytest) -> None:
    result = run("-rf")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "✗ step 3 failed: customer: \"Where is order A-17?\"   "
        "(fragments/login.yaml:4, included from refund.scenario.yaml:7)",
    ])
    # the source shown is the fragment's, then the include that brought it
    result.stdout.fnmatch_lines(["  4 | - customer: \"Where is order {{ order }}?\"",
                                 "*",
                                 "  included from refund.scenario.yaml:7"])


@pytest.mark.usefixtures("failing")
def test_allure_names_the_fragment_line(run: RunPytest, pytester: pytest.Pytester) -> None:
    run("--alluredir", "allure").assert_outcomes(failed=1)
    results = [json.loads(p.read_text("utf-8"))
               for p in Path(pytester.path / "allure").glob("*-result.json")]
    steps = {s["name"]: s for r in results for s in r["steps"]}
    failed = next(s for s in steps.values() if s["status"] == "failed")
    where = {p["name"]: p["value"] for p in failed["parameters"]}["step"]
    assert where == "step 3 (fragments/login.yaml:4, included from refund.scenario.yaml:7)"
    # a step of the scenario itself keeps its plain line
    first = next(s for s in steps.values() if s["name"].startswith('customer: "Hello"'))
    assert {p["name"]: p["value"] for p in first["parameters"]}["step"] == (
        "step 1 (refund.scenario.yaml:6)")
    # the chat attached as HTML names it too
    chats = [p.read_text("utf-8") for p in Path(pytester.path / "allure").glob("*.html")]
    assert any("fragments/login.yaml:4, included from refund.scenario.yaml:7" in c
               for c in chats), [c[:200] for c in chats]


def test_a_nested_fragment_names_the_whole_chain(write: WriteFile, run: RunPytest) -> None:
    write('- customer: "Bye"\n  expect: {reply: "Goodbye"}\n', "fragments/bye.yaml")
    write('- customer: "Hi"\n- include: bye.yaml\n', "fragments/greet.yaml")
    write("""\
scenario: Nested
mock: {default_reply: "Noted."}
steps:
  - include: fragments/greet.yaml
""", "nested.scenario.yaml")
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "✗ step 2 failed: customer: \"Bye\"   (fragments/bye.yaml:1, included from "
        "fragments/greet.yaml:2, included from nested.scenario.yaml:4)",
    ])


def test_a_broken_wait_in_a_fragment_names_the_fragment_line(
        write: WriteFile, run: RunPytest) -> None:
    write('- customer: "Hi"\n- wait: "{{ pause }}"\n', "fragments/pause.yaml")
    write("""\
scenario: Pause
vars: {pause: soon}
mock: {default_reply: "Noted."}
steps:
  - include: fragments/pause.yaml
""", "pause.scenario.yaml")
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "Cause: step 2 (wait: soon): fragments/pause.yaml:2, included from "
        "pause.scenario.yaml:5: `wait: \"{{ pause }}\"` gave 'soon', which is not a duration*"])
