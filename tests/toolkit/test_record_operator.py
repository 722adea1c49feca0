"""`osvi-scenarios record` on scenarios with a scenario-level `operator:`.

The scripted customer steps get their expectations as usual; the operator's own
actions get none (the operator makes them anew on every run) and the `operator:`
block stays as written. A scenario whose operator (or simulated customer) is an
LLM cannot run in `record`, which runs no LLM: it is left out with a note naming
it before anything runs, and the file's other scenarios are recorded.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.tools.cli import main

PLAYBOOK = """\
scenario: Playbook
mock:
  operator: qa@yourco.com
  replies:
    - when: "(?i)person"
      reply: "Let me get a colleague."
      help_requested: true
    - reply: "How can I help?"
operator:                  # steps in when the agent asks for help
  take_over: on_help
  whisper: "you may offer a voucher"
  hand_back: end
steps:
  - customer: "Hello"
  - customer: "I want to talk to a person"
  - customer: "Thanks"
"""

LLM = PLAYBOOK.replace("scenario: Playbook", "scenario: LLM operator").replace(
    """  take_over: on_help
  whisper: "you may offer a voucher"
  hand_back: end""", """  policy: llm
  persona: "Sam, a senior support operator\"""")


def _record(tmp_path: Path, text: str) -> tuple[int, Path]:
    path = tmp_path / "ops.scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return main(["record", path.name]), path


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # files are named as given, relative to here


def test_a_playbook_operator_is_kept_and_its_actions_get_no_expectations(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, path = _record(tmp_path, PLAYBOOK)
    out = capsys.readouterr().out
    assert code == 0
    assert path.read_text() == PLAYBOOK.replace(
        '''  - customer: "Hello"
  - customer: "I want to talk to a person"
  - customer: "Thanks"
''', '''  - customer: "Hello"
    expect:
      reply: "How can I help?"
  - customer: "I want to talk to a person"
    expect:
      reply: {contains: ["colleague"]}
      help_requested: true
  - customer: "Thanks"
    expect:
      reply: "How can I help?"
      help_requested: false
''')
    assert out.splitlines()[1:] == [
        "  ops.scenario.yaml:14: step 1 reply",
        "  ops.scenario.yaml:15: step 2 help_requested",
        "  ops.scenario.yaml:15: step 2 reply",
        "  ops.scenario.yaml:16: step 3 help_requested",
        "  ops.scenario.yaml:16: step 3 reply"]


NOTE = ("note: ops.scenario.yaml:1: 'LLM operator' left out: its `operator:` is an LLM "
        "(`policy: llm`), and record runs no LLM; record its scripted steps with a playbook "
        "operator, or write their expectations by hand")


def test_an_llm_operator_scenario_is_left_out_before_anything_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    both = LLM + "---\n" + PLAYBOOK
    code, path = _record(tmp_path, both)
    out, err = capsys.readouterr()
    assert code == 0
    assert NOTE in err.splitlines()
    assert "could not run to the end" not in err
    assert "--osvi-judge-url" not in err  # record takes no such option
    text = path.read_text()
    assert text.split("---\n")[0] == LLM  # untouched
    assert "recorded 5 expectations" in out


def test_a_file_of_llm_operator_scenarios_only_records_nothing_and_says_why(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, path = _record(tmp_path, LLM)
    out, err = capsys.readouterr()
    assert code == 1
    assert err.splitlines() == [
        NOTE, "osvi-scenarios record: nothing was recorded: every scenario in "
        "ops.scenario.yaml needs an LLM"]
    assert out == ""
    assert path.read_text() == LLM
