"""The run summary says what each scenario's `operator:` did, one line per scenario.

Under `simulations:`, after the `simulate:` steps: which operator (playbook or
llm) and its actions in order, named by the customer turn they answered
(`took over at step 3, whispered once, spoke once, handed back`), so a person
sees at a glance whether the operator stepped in at all.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import RunPytest, WriteFile
from tests.toolkit.fake_llm import FakeLLM, Seen

PLAYBOOK = """
    scenario: Playbook
    mock:
      operator: qa@yourco.com
      replies:
        - when: "(?i)person"
          reply: "Let me get a colleague."
          help_requested: true
        - reply: "How can I help?"
    operator:
      take_over: {take_over}
      whisper: "you may offer a voucher"
      say: "Hi, Sam here."
      hand_back: {hand_back}
    steps:
      - customer: "Hello"
      - customer: "I want to talk to a person"
      - customer: "Thanks"
"""


def _summary(result: pytest.RunResult) -> list[str]:
    lines = result.outlines
    start = lines.index("simulations:")
    return lines[start + 1:lines.index("", start)]


def test_a_playbook_operator_gets_its_line(write: WriteFile, run: RunPytest) -> None:
    write(PLAYBOOK.format(take_over="on_help", hand_back="end"))
    result = run()
    result.assert_outcomes(passed=1)
    assert _summary(result) == [
        "  Playbook · operator (playbook): took over at step 2, whispered once, spoke once, "
        "handed back"]


def test_an_operator_that_closes_the_session(write: WriteFile, run: RunPytest) -> None:
    write(PLAYBOOK.format(take_over="{after: 1}", hand_back="close").replace(
        '  - customer: "I want to talk to a person"\n      - customer: "Thanks"\n', ""))
    result = run()
    result.assert_outcomes(passed=1)
    assert _summary(result) == [
        "  Playbook · operator (playbook): took over at step 1, whispered once, spoke once, "
        "closed the session"]


def test_an_operator_that_never_acted_says_so(write: WriteFile, run: RunPytest) -> None:
    write(PLAYBOOK.format(take_over="{after: 5}", hand_back="end"))
    result = run()
    result.assert_outcomes(passed=1)
    assert _summary(result) == ["  Playbook · operator (playbook): watched 3 turns, did nothing"]


def test_the_operator_line_follows_the_simulations_and_names_turns(
        write: WriteFile, run: RunPytest) -> None:
    write("""
        scenario: Probe and operator
        mock:
          operator: qa@yourco.com
          replies:
            - reply: "How can I help?"
        operator:
          take_over: {after: 2}
          hand_back: end
        steps:
          - customer: "Hello"
          - simulate: {probe: supervisor, max_turns: 2}
    """)
    result = run()
    result.assert_outcomes(passed=1)
    assert _summary(result) == [
        "  Probe and operator · step 2 probe supervisor: no leak found in 2 turns",
        "  Probe and operator · operator (playbook): took over at step 2 turn 1, handed back"]


def test_a_broken_operator_action_is_named(write: WriteFile, run: RunPytest) -> None:
    write(PLAYBOOK.format(take_over="on_help", hand_back="end").replace(
        "operator: qa@yourco.com",
        "operator: qa@yourco.com\n      agent: {disabled_commands: [whisper]}"))
    result = run()
    result.assert_outcomes(failed=1)
    assert _summary(result) == [
        "  Playbook · operator (playbook): took over at step 2, whisper broke at step 2"]


def _act(action: str, text: str = "") -> str:
    return json.dumps({"action": action, "text": text, "reason": "test"})



def test_an_llm_operator_gets_its_line_with_actions_not_sent(
        write: WriteFile, run: RunPytest, fake: FakeLLM) -> None:
    # After step 1: `say` before a takeover is not sent. After step 2: takeover, two
    # whispers, hand back. After step 3: nothing.
    actions = [_act("say", "Too early."), _act("takeover"), _act("whisper", "Voucher A."),
               _act("whisper", "Voucher B."), _act("end")]

    def respond(seen: Seen) -> str:
        del seen
        return actions.pop(0) if actions else _act("nothing")

    fake.respond = respond
    write(PLAYBOOK.format(take_over="on_help", hand_back="end").replace(
        """    operator:
      take_over: on_help
      whisper: "you may offer a voucher"
      say: "Hi, Sam here."
      hand_back: end""", """    operator:
      policy: llm
      persona: "Sam, a senior support operator\""""))
    result = run("--osvi-judge-url", fake.url)
    result.assert_outcomes(passed=1)
    assert _summary(result) == [
        "  Playbook · operator (llm): 1 action not sent, took over at step 2, whispered twice, "
        "handed back"]
