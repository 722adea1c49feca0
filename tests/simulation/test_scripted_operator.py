"""A scenario-level `operator:` opposite a scripted customer: the playbook on the embedded mock,
how it combines with a `simulate:` step's own operator, and `check` on the new keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.tools.cli import main
from tests.conftest import RunPytest, WriteFile

SCRIPTED = """
    scenario: The operator steps in when a scripted customer asks for a person
    invariants:
      silent_during_takeover: true
    mock:
      operator: qa@yourco.com
      replies:
        - when: "(?i)person"
          reply: "Let me get a colleague."
          help_requested: true
        - when: {{whisper: {{matches: "."}}}}
          reply: "Good news: {{{{ whisper }}}}"
        - reply: "How can I help?"
    operator:
      take_over: {take_over}
      whisper: "you may offer a 10 percent voucher"
      say: "Hi, Sam from the team here."
      hand_back: {hand_back}
    steps:
      - customer: "Hello"
      - customer: "I want to talk to a person"
      - customer: "Thanks"
        expect:
          reply: {{contains: "10 percent voucher"}}
"""


def _flat(path: str) -> str:
    return " ".join(Path(path).read_text(encoding="utf-8").split())


def test_the_playbook_takes_over_after_the_reply_that_asks_for_help_and_its_whisper_works(
        write: WriteFile, run: RunPytest) -> None:
    write(SCRIPTED.format(take_over="on_help", hand_back="end"))
    result = run("--junitxml", "junit.xml")
    result.assert_outcomes(passed=1)
    junit = _flat("junit.xml")
    assert "simulated operator: operator playbook: takes over when the agent asks for help" \
        in junit
    # Each action is a support step of its own, named after the turn it answers.
    for line in ("step 2 operator command takeover → ok",
                 "step 2 operator whisper you may offer a 10 percent voucher (→ ok",
                 "step 2 operator operator Hi, Sam from the team here. (→ ok",
                 "step 2 operator command end → ok",
                 "agent Good news: you may offer a 10 percent voucher"):
        assert line in junit, line
    assert "step 1 operator" not in junit  # no help asked after step 1: it waited


def test_take_over_after_n_counts_the_customer_turns_and_close_closes_the_session(
        write: WriteFile, run: RunPytest) -> None:
    scenario = SCRIPTED.format(take_over="{after: 1}", hand_back="close")
    write(scenario.replace('reply: {contains: "10 percent voucher"}', "state: default"))
    result = run("--junitxml", "junit.xml")
    result.assert_outcomes(passed=1)
    junit = _flat("junit.xml")
    assert "step 1 operator command takeover → ok" in junit
    assert "step 1 operator command close → ok" in junit
    assert "step 2 operator" not in junit  # the playbook runs once


def test_an_operator_action_the_api_refuses_breaks_the_scenario_at_that_step(
        write: WriteFile, run: RunPytest) -> None:
    scenario = SCRIPTED.format(take_over="on_help", hand_back="end")
    write(scenario.replace("operator: qa@yourco.com",
                           "operator: qa@yourco.com\n      agent: {disabled_commands: [whisper]}"))
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*step 2 operator broke: whisper: *(chat.scenario.yaml:21)",
                                 "*Cause: step 2 operator (whisper: *): *command_disabled*"])


def test_a_simulate_steps_own_operator_replaces_the_scenarios_inside_that_step(
        write: WriteFile, run: RunPytest) -> None:
    write("""
        scenario: Two operators
        mock:
          operator: qa@yourco.com
          replies:
            - reply: "How can I help?"
        operator:
          take_over: {after: 3}
          hand_back: end
        steps:
          - customer: "Hello"
          - simulate:
              probe: supervisor
              max_turns: 2
              operator: {take_over: {after: 1}, say: "Step operator here.", hand_back: end}
          - customer: "One"
          - customer: "Two"
    """)
    result = run("--junitxml", "junit.xml")
    result.assert_outcomes(passed=1)
    junit = _flat("junit.xml")
    assert "step 2 turn 1 operator Step operator here." in junit
    # The scenario's operator sat the simulation out: step 3 is its second turn, step 4 its third.
    assert "step 3 operator" not in junit
    assert "step 4 operator command takeover → ok" in junit


def test_the_scenarios_operator_watches_a_simulation_without_one_of_its_own(
        write: WriteFile, run: RunPytest, pytester: pytest.Pytester) -> None:
    write("""
        scenario: The scenario's operator and a probe
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
    result = run("--junitxml", "junit.xml", "--alluredir", "allure")
    result.assert_outcomes(passed=1)
    junit = _flat("junit.xml")
    assert "operator playbook: takes over after turn 2, hands back with `end` (the scenario's)" \
        in junit
    assert "step 2 turn 1 command takeover → ok" in junit  # the second customer turn
    [found] = (pytester.path / "allure").glob("*-result.json")
    steps = json.loads(found.read_text(encoding="utf-8"))["steps"]
    assert [step["name"].split(":")[0] for step in steps[1]["steps"]] == [
        "customer", "takeover", "end", "customer"]


def test_allure_shows_the_operators_actions_right_after_the_turn_they_answer(
        write: WriteFile, run: RunPytest, pytester: pytest.Pytester) -> None:
    write(SCRIPTED.format(take_over="on_help", hand_back="end"))
    run("--alluredir", "allure")
    [found] = (pytester.path / "allure").glob("*-result.json")
    steps = json.loads(found.read_text(encoding="utf-8"))["steps"]
    assert [step["name"].split(":")[0] for step in steps] == [
        "customer", "customer", "takeover", "whisper", "operator", "end", "customer"]


@pytest.mark.parametrize(("operator", "wanted"), [
    ("{take_over: on_help, wisper: hi}", ":3: unknown key 'wisper' in `operator` (did you mean "
                                         "'whisper'?)"),
    ("{policy: llm, instructions: x}", ":3: `operator` needs `persona`"),
    ("{persona: Sam, take_over: on_help}", ":3: the LLM operator (`persona`) decides each "
                                           "action itself"),
    ("{policy: lm, persona: Sam}", ":3: `policy` cannot be 'lm' (did you mean 'llm'?)"),
    ("{whisper: hi}", ":3: `operator` needs `take_over`"),
])
def test_check_refuses_a_bad_operator_with_the_line_and_what_to_write(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], operator: str, wanted: str) -> None:
    path = tmp_path / "op.scenario.yaml"
    path.write_text(f"scenario: Bad\nsteps: [{{customer: Hi}}]\noperator: {operator}\n",
                    encoding="utf-8")
    assert main(["check", str(path)]) != 0
    out, err = capsys.readouterr()
    assert f"op.scenario.yaml{wanted}" in out + err


def test_check_accepts_both_operators(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "op.scenario.yaml"
    path.write_text("scenario: Fine\nsteps:\n  - customer: Hi\n  - simulate:\n"
                    "      probe: supervisor\n      operator: {policy: llm, persona: Sam}\n"
                    "operator: {policy: playbook, take_over: {after: 1}}\n", encoding="utf-8")
    assert main(["check", str(path)]) == 0, capsys.readouterr()
