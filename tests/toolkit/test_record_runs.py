"""`osvi-scenarios record --runs N`: write only what every run agrees on, state, mode and
escalation included."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.judging.meaning import compare as compare_meaning
from runner.language.loader import load_scenarios
from runner.tools.cli import main
from runner.tools.record import Observation, apply
from tests.toolkit.conftest import RunPytest, WordModel, WriteFile

# Every 2nd run the agent words the same answer differently.
DRIFTING = """\
scenario: Parcel status
mock:
  replies:
    - when: "(?i)parcel"
      reply: "Your parcel 4711 has shipped; tracking details follow."
      flaky: {every: 2, reply: "Good news: parcel 4711 has shipped."}
      state: shipped
    - when: "(?i)person"
      reply: "Let me get a colleague."
      help_requested: true
steps:
  - customer: "Where is my parcel?"
  - customer: "Can I talk to a person?"
"""


def record(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["record", str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_key_phrases_every_run_contains_and_the_state_and_escalation(
        write: WriteFile, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(DRIFTING)
    code, out, _ = record(path, capsys, "--runs", "4")
    assert code == 0
    assert "over 4 runs" in out
    assert path.read_text() == DRIFTING.replace('''\
  - customer: "Where is my parcel?"
  - customer: "Can I talk to a person?"
''', '''\
  - customer: "Where is my parcel?"
    expect:
      reply: {contains: ["parcel 4711", "shipped"]}
      state: "shipped"
  - customer: "Can I talk to a person?"
    expect:
      reply: {contains: ["colleague"]}
      help_requested: true
''')


def test_one_run_records_what_only_that_run_said(write: WriteFile,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = write(DRIFTING)
    assert record(path, capsys)[0] == 0
    assert 'reply: {contains: ["parcel 4711", "tracking details follow"]}' in path.read_text()


def test_similar_to_takes_the_lowest_score_and_the_file_passes_every_run(
        word_model: WordModel, write: WriteFile, run: RunPytest,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = write(DRIFTING)
    assert record(path, capsys, "--runs", "4", "--style", "similar_to", "--min", "0.7")[0] == 0
    text = path.read_text()
    written = float(text.split("min: ")[1].split("}")[0])  # the first step's
    score = compare_meaning("Your parcel 4711 has shipped; tracking details follow.",
                            "Good news: parcel 4711 has shipped.",
                            lambda a, bs: [word_model.similarity(a, b) for b in bs], 0.7).score
    assert written <= score < 0.7  # below the asked-for `min`, which run 2 would fail
    run("--osvi-repeat", "4").assert_outcomes(passed=1)


def test_replies_a_guard_tells_apart_are_left_to_the_author(
        write: WriteFile, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(DRIFTING.replace("tracking details follow.", "it arrives Friday."))
    code, _, err = record(path, capsys, "--runs", "2", "--style", "similar_to")
    assert code == 0
    assert ("step 1: no reply expectation: the runs' replies differ in a fact, polarity or "
            "name, which `similar_to` would not accept over 2 runs; write this one by hand"
            in err)
    assert 'state: "shipped"' in path.read_text()  # what the runs agree on is still written


def test_runs_that_disagree_on_a_state_leave_it_out(tmp_path: Path) -> None:
    path = tmp_path / "s.scenario.yaml"
    path.write_text(DRIFTING, encoding="utf-8")
    [scenario] = load_scenarios(path, {})
    step = scenario.steps[0]
    seen = Observation(step, ["Shipped.", "Shipped."],
                       {"state": [("shipped", True), ("lost", True)],
                        "mode": [("ai", False), ("ai", False)],
                        "help_requested": [(True, True), (True, True)]})
    written = apply(DRIFTING, "s.scenario.yaml", {(scenario.line, "steps", 1): seen},
                    [scenario.line], style="exact", overwrite=False, runs=2).text
    assert """\
  - customer: "Where is my parcel?"
    expect:
      reply: "Shipped."
      help_requested: true
  - customer""" in written  # no state (the runs disagree), no mode (it never changed)


def test_a_bad_runs_value_is_a_usage_error(write: WriteFile,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = write(DRIFTING)
    code, _, err = record(path, capsys, "--runs", "0")
    assert code == 2
    assert "--runs 0 is not a number of runs from 1 to 100; write e.g. --runs 5" in err
    assert path.read_text() == DRIFTING
