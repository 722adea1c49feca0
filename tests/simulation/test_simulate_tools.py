"""`simulate:` and the command-line tools: `check` accepts it, `record` leaves it alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.tools.cli import main

PROBED = """\
scenario: Probe
mock:
  replies:
    - when: "."
      reply: "No notes here."
steps:
  - customer: "Hello"
  - simulate: {probe: internal_notes}
"""


def test_check_accepts_a_simulate_step_and_record_writes_no_expectation_into_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "probe.scenario.yaml"
    path.write_text(PROBED, encoding="utf-8")
    assert main(["check", str(path)]) == 0
    assert main(["record", str(path)]) == 0
    written = path.read_text(encoding="utf-8")
    assert written.count("expect:") == 1  # the scripted customer step's only
    assert written.endswith("  - simulate: {probe: internal_notes}\n")
    assert main(["check", str(path)]) == 0
    capsys.readouterr()


def test_an_unknown_probe_is_refused_naming_the_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "probe.scenario.yaml"
    path.write_text(PROBED.replace("internal_notes", "internal_memo"), encoding="utf-8")
    assert main(["check", str(path)]) != 0
    out, err = capsys.readouterr()
    assert "probe.scenario.yaml:8" in out + err
    assert "internal_notes" in out + err  # the names to write instead


def test_a_bad_regex_in_stop_when_is_a_located_problem_not_a_crash(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "probe.scenario.yaml"
    path.write_text(PROBED.replace("{probe: internal_notes}",
                                   '{probe: supervisor, stop_when: {reply: {matches: "("}}}'),
                    encoding="utf-8")
    assert main(["check", str(path)]) != 0
    out, err = capsys.readouterr()
    assert "probe.scenario.yaml:8: invalid regular expression" in out + err
