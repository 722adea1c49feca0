"""Transcripts of two runs and `osvi-scenarios diff`: what changed in meaning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.judging import semantic
from runner.tools.cli import main
from tests.toolkit.conftest import RunPytest, WordModel, WriteFile

DRIFTING = """
    scenario: Refund answer
    mock:
      replies:
        - when: {version: "^2$", message: "(?i)refund"}
          reply: "Refunds are no longer possible."
        - when: "(?i)refund"
          reply: "I can help with that. What is your order number?"
        - when: {version: "^2$"}
          reply: "Hello there, how can I help?"
      default_reply: "Hello, how can I help?"
    steps:
      - customer: "Hi"
      - customer: "I want a refund"
---
scenario: Greeting only in run A
steps:
  - customer: "Hi"
"""


def two_runs(write: WriteFile, run: RunPytest, monkeypatch: pytest.MonkeyPatch,
             pytester: pytest.Pytester) -> tuple[Path, Path]:
    write(DRIFTING)
    run("--osvi-transcripts", "a/transcripts").assert_outcomes(passed=2)
    write(DRIFTING.split("---")[0])
    monkeypatch.setenv("OSVI_MOCK_VERSION", "2")
    run("--osvi-transcripts", "b/transcripts").assert_outcomes(passed=1)
    return pytester.path / "a", pytester.path / "b"


def test_lists_replies_changed_in_meaning_most_changed_first(
        word_model: WordModel, write: WriteFile, run: RunPytest,
        monkeypatch: pytest.MonkeyPatch, pytester: pytest.Pytester,
        capsys: pytest.CaptureFixture[str]) -> None:
    a, b = two_runs(write, run, monkeypatch, pytester)
    capsys.readouterr()
    assert main(["diff", str(a), str(b), "--threshold", "0.95"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[2].startswith("similarity: semantic (")
    assert out.split("\n", 3)[3] == """\

Scenarios removed (1):
  chat.scenario.yaml::Greeting only in run A

Replies changed in meaning (2), most changed first:
  0.00  Refund answer · step 2 customer: "I want a refund"
        A: I can help with that. What is your order number?
        B: Refunds are no longer possible.
  0.91  Refund answer · step 1 customer: "Hi"
        A: Hello, how can I help?
        B: Hello there, how can I help?

2 changed in meaning, 0 reworded (similarity ≥ 0.95), 2 replies compared
"""


def test_json_and_the_lexical_fallback(write: WriteFile, run: RunPytest,
                                       monkeypatch: pytest.MonkeyPatch,
                                       pytester: pytest.Pytester,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    a, b = two_runs(write, run, monkeypatch, pytester)
    monkeypatch.setattr(semantic, "available", lambda: False)
    capsys.readouterr()
    assert main(["diff", str(a / "transcripts"), str(b), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["measure"].startswith("lexical (word-sequence similarity; install the "
                                        "semantic extra")
    assert [c["ref"] for c in report["changed"]] == ["step 2"]
    assert [c["ref"] for c in report["reworded"]] == ["step 1"]
    assert report["removed"] == ["chat.scenario.yaml::Greeting only in run A"]
    assert report["differs"] is True


def test_the_same_run_twice_differs_in_nothing(write: WriteFile, run: RunPytest,
                                               pytester: pytest.Pytester,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    write(DRIFTING)
    run("--osvi-transcripts", "a").assert_outcomes(passed=2)
    run("--osvi-transcripts", "b").assert_outcomes(passed=2)
    capsys.readouterr()
    assert main(["diff", str(pytester.path / "a"), str(pytester.path / "b")]) == 0
    assert "No reply changed in meaning." in capsys.readouterr().out


def test_transcripts_are_json_per_scenario_and_replace_the_last_run(
        write: WriteFile, run: RunPytest, pytester: pytest.Pytester) -> None:
    write(DRIFTING)
    folder = pytester.path / "t"
    folder.mkdir()
    (folder / "old.transcript.json").write_text("{}")
    (folder / "notes.txt").write_text("mine")
    run("--osvi-transcripts", str(folder)).assert_outcomes(passed=2)
    files = sorted(p.name for p in folder.iterdir())
    assert files[-1] == "notes.txt" and len(files) == 3
    [data] = [json.loads(p.read_text()) for p in folder.glob("*Refund*.transcript.json")]
    assert data["format"] == "osvi-transcript/1"
    step = data["runs"][0]["steps"][1]
    assert (step["ref"], step["sent"], step["reply"], step["outcome"]) == (
        "step 2", "I want a refund", "I can help with that. What is your order number?",
        "passed")


def test_a_folder_without_transcripts_is_a_usage_error(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(tmp_path), str(tmp_path / "missing")]) == 2
    assert "no transcripts (*.transcript.json)" in capsys.readouterr().err
