"""`osvi-scenarios diff` sees what the agent decided, not only what it said: state, mode,
escalation (help_requested) and the steps themselves."""

from __future__ import annotations

from typing import Any

import pytest

from runner.judging.textsim import lexical_similarity
from runner.tools.cli import main
from runner.tools.diff import compare
from tests.toolkit.conftest import RunPytest, WriteFile

# Version 2 of the agent says the same words, but files the chat elsewhere and escalates.
SAME_WORDS = """
    scenario: Refund answer
    mock:
      replies:
        - when: {version: "^2$", message: "(?i)refund"}
          reply: "I can help with that. What is your order number?"
          state: escalated
          help_requested: true
        - when: "(?i)refund"
          reply: "I can help with that. What is your order number?"
          state: collect_order
    steps:
      - customer: "I want a refund"
"""


def _diff(pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str],
          *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    status = main(["diff", str(pytester.path / "a"), str(pytester.path / "b"), *extra])
    return status, capsys.readouterr().out


def test_a_changed_state_and_escalation_exit_non_zero_with_the_same_reply(
        write: WriteFile, run: RunPytest, monkeypatch: pytest.MonkeyPatch,
        pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    write(SAME_WORDS)
    run("--osvi-transcripts", "a").assert_outcomes(passed=1)
    monkeypatch.setenv("OSVI_MOCK_VERSION", "2")
    run("--osvi-transcripts", "b").assert_outcomes(passed=1)
    status, out = _diff(pytester, capsys)
    assert status == 1
    assert """
State, mode and escalation changes (2):
  Refund answer · step 1 customer: "I want a refund"
        state: "collect_order" → "escalated"
  Refund answer · step 1 customer: "I want a refund"
        help_requested: false → true
""" in out
    assert "No reply changed in meaning." in out


def test_a_step_added_or_removed_exits_non_zero(
        write: WriteFile, run: RunPytest, pytester: pytest.Pytester,
        capsys: pytest.CaptureFixture[str]) -> None:
    write(SAME_WORDS)
    run("--osvi-transcripts", "a").assert_outcomes(passed=1)
    write(SAME_WORDS + '      - customer: "Thanks"\n')
    run("--osvi-transcripts", "b").assert_outcomes(passed=1)
    status, out = _diff(pytester, capsys)
    assert status == 1
    assert 'Steps added (1):\n  chat.scenario.yaml::Refund answer · step 2 customer: "Thanks"' \
        in out
    status, out = _diff(pytester, capsys, "--format", "json")
    assert status == 1 and '"differs": true' in out


def test_the_same_run_twice_still_differs_in_nothing(
        write: WriteFile, run: RunPytest, pytester: pytest.Pytester,
        capsys: pytest.CaptureFixture[str]) -> None:
    write(SAME_WORDS)
    run("--osvi-transcripts", "a").assert_outcomes(passed=1)
    run("--osvi-transcripts", "b").assert_outcomes(passed=1)
    status, out = _diff(pytester, capsys)
    assert status == 0 and "State, mode" not in out


def _transcript(mode: str) -> dict[str, dict[str, Any]]:
    step = {"ref": "step 1", "block": "steps", "index": 0, "title": 'customer: "Hello?"',
            "has_reply": True, "reply": None, "state": "default", "mode": mode,
            "help_requested": False}
    return {"s::x": {"name": "x", "outcome": "passed", "runs": [{"steps": [step]}]}}


def test_a_changed_mode_is_a_change() -> None:
    report = compare(_transcript("support"), _transcript("ai"),
                     similarity=lexical_similarity, measure="lexical")
    assert [(f.field, f.before, f.after) for f in report.fields] == [("mode", "support", "ai")]
    assert report.differs
