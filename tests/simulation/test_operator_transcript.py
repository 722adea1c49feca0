"""`--osvi-transcripts` keeps what a scenario's `operator:` did, beside its `simulations`.

Each run's `operator` entry says which policy acted, how many customer turns it
watched, every action with the step it was sent as and the customer turn it
answered, the actions not sent and why, and whether it handed back or closed the
session; `osvi-scenarios diff` still reads transcripts written before the entry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runner.tools.cli import main
from tests.conftest import RunPytest, WriteFile
from tests.toolkit.fake_llm import FakeLLM, Seen

SCENARIO = """
    scenario: Playbook
    mock:
      operator: qa@yourco.com
      replies:
        - when: "(?i)person"
          reply: "Let me get a colleague."
          help_requested: true
        - reply: "How can I help?"
    operator:
      take_over: on_help
      whisper: "you may offer a voucher"
      hand_back: {hand_back}
    steps:
      - customer: "Hello"
      - customer: "I want to talk to a person"
"""


def _transcript(folder: Path) -> dict[str, Any]:
    [file] = folder.glob("*.transcript.json")
    data: dict[str, Any] = json.loads(file.read_text("utf-8"))
    return data


def _action(action: str, step: str | None, turn: str, outcome: str = "passed",
            why: str | None = None) -> dict[str, Any]:
    return {"action": action, "step": step, "turn": turn, "outcome": outcome, "why": why}


def test_a_playbook_operator_is_in_the_transcript_and_diff_reads_old_ones(
        write: WriteFile, run: RunPytest, pytester: pytest.Pytester,
        capsys: pytest.CaptureFixture[str]) -> None:
    write(SCENARIO.format(hand_back="end"))
    run("--osvi-transcripts", "a").assert_outcomes(passed=1)
    data = _transcript(pytester.path / "a")
    assert data["runs"][0]["operator"] == {
        "policy": "playbook", "watched": 2,
        "actions": [_action("takeover", "step 2 operator", "step 2"),
                    _action("whisper", "step 2 operator", "step 2"),
                    _action("end", "step 2 operator", "step 2")],
        "not_sent": 0, "handed_back": True, "closed": False,
        "summary": "took over at step 2, whispered once, handed back"}
    # The steps it sent are in `steps` too, under the same ref.
    assert [s["action"] for s in data["runs"][0]["steps"] if s["ref"] == "step 2 operator"] == [
        "takeover", "whisper", "end"]

    # A transcript written before the `operator` entry existed still compares.
    run("--osvi-transcripts", "b").assert_outcomes(passed=1)
    old = next((pytester.path / "a").glob("*.transcript.json"))
    stripped = _transcript(pytester.path / "a")
    for each in stripped["runs"]:
        del each["operator"]
    old.write_text(json.dumps(stripped), "utf-8")
    capsys.readouterr()
    assert main(["diff", str(pytester.path / "a"), str(pytester.path / "b")]) == 0
    assert "No reply changed in meaning." in capsys.readouterr().out


def test_a_closing_operator_and_a_scenario_without_one(
        write: WriteFile, run: RunPytest, pytester: pytest.Pytester) -> None:
    write(SCENARIO.format(hand_back="close") + """
---
scenario: No operator
steps:
  - customer: "Hello"
""")
    run("--osvi-transcripts", "t").assert_outcomes(passed=2)
    by_name = {data["name"]: data for data in
               (json.loads(f.read_text("utf-8")) for f in (pytester.path / "t").iterdir())}
    operator = by_name["Playbook"]["runs"][0]["operator"]
    assert (operator["handed_back"], operator["closed"]) == (False, True)
    assert operator["actions"][-1] == _action("close", "step 2 operator", "step 2")
    assert by_name["No operator"]["runs"][0]["operator"] is None


def _act(action: str, text: str = "") -> str:
    return json.dumps({"action": action, "text": text, "reason": "test"})


def test_an_llm_operators_actions_not_sent_say_why(
        write: WriteFile, run: RunPytest, pytester: pytest.Pytester, fake: FakeLLM) -> None:
    # After step 1: `say` before a takeover is not sent. After step 2: takeover, say, end.
    actions = [_act("say", "Too early."), _act("takeover"), _act("say", "Sam here."),
               _act("end")]

    def respond(seen: Seen) -> str:
        del seen
        return actions.pop(0) if actions else _act("nothing")

    fake.respond = respond
    write(SCENARIO.format(hand_back="end").replace(
        """    operator:
      take_over: on_help
      whisper: "you may offer a voucher"
      hand_back: end""", """    operator:
      policy: llm
      persona: "Sam, a senior support operator\""""))
    run("--osvi-judge-url", fake.url, "--osvi-transcripts", "t").assert_outcomes(passed=1)
    operator = _transcript(pytester.path / "t")["runs"][0]["operator"]
    assert operator["policy"] == "llm"
    assert operator["actions"] == [
        _action("operator", None, "step 1", "not sent",
                "the operator speaks only while holding the chat: `takeover` first"),
        _action("takeover", "step 2 operator", "step 2"),
        _action("operator", "step 2 operator", "step 2"),
        _action("end", "step 2 operator", "step 2")]
    assert (operator["not_sent"], operator["handed_back"], operator["closed"]) == (1, True, False)
    assert operator["summary"] == "1 action not sent, took over at step 2, spoke once, handed back"
