"""A risky pattern in a mock agent file pulled in by `extends:` is warned about.

Once a run, naming the base file and the pattern's line, whether a scenario's
`mock:` or a named agent's (`agents:`) extends it, directly or through another file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.tools import cli
from tests.conftest import RunPytest, WriteFile

BASE = """\
default_reply: Base desk.
replies:
  - when: "(a+)+$"
    reply: "Base."
"""

SCENARIO_MOCK = """\
scenario: Scenario mock {name}
mock:
  extends: agents/base.yaml
  default_reply: Child desk.
steps:
  - customer: Hi
"""

AGENT_MOCK = """\
scenario: Agent mock
agents:
  sales:
    id: agent_sales
    mock: {extends: agents/base.yaml}
customers:
  anna: {agent: sales}
steps:
  - customer: Hi
    as: anna
"""

WARNING = "the pattern /(a+)+$/ "


def test_pytest_warns_about_a_scenario_mocks_base_once(write: WriteFile,
                                                       run: RunPytest) -> None:
    write(BASE, "agents/base.yaml")
    write(SCENARIO_MOCK.format(name="one"), "one.scenario.yaml")
    write(SCENARIO_MOCK.format(name="two"), "two.scenario.yaml")
    result = run("-W", "default")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"*agents/base.yaml:3: ScenarioWarning: {WARNING}*"])
    assert result.stdout.str().count("ScenarioWarning") == 1


def test_pytest_warns_about_a_named_agents_base(write: WriteFile, run: RunPytest) -> None:
    write(BASE, "agents/base.yaml")
    write(AGENT_MOCK, "agent.scenario.yaml")
    result = run("-W", "default")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*agents/base.yaml:3: ScenarioWarning: {WARNING}*"])


def _check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]) -> list[str]:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "."]) == 0
    return [line for line in capsys.readouterr().out.splitlines() if "warning:" in line]


def test_check_warns_once_for_every_way_to_reach_the_base(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "base.yaml").write_text(BASE, encoding="utf-8")
    # A shared mock file that extends the base: the chain is followed.
    (tmp_path / "agents" / "child.yaml").write_text(
        "extends: base.yaml\ndefault_reply: Child.\n", encoding="utf-8")
    (tmp_path / "a.scenario.yaml").write_text(SCENARIO_MOCK.format(name="a"), encoding="utf-8")
    (tmp_path / "b.scenario.yaml").write_text(AGENT_MOCK, encoding="utf-8")
    (tmp_path / "c.scenario.yaml").write_text(
        "scenario: Shared child\nmock: agents/child.yaml\nsteps:\n  - customer: Hi\n",
        encoding="utf-8")
    warned = _check(tmp_path, monkeypatch, capsys)
    assert len(warned) == 1, warned
    assert warned[0].startswith(f"agents/base.yaml:3: warning: {WARNING}"), warned


def test_check_follows_a_chain_from_a_named_agents_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "agents" / "child.yaml").write_text(
        "extends: base.yaml\ndefault_reply: Child.\n", encoding="utf-8")
    (tmp_path / "d.scenario.yaml").write_text(
        AGENT_MOCK.replace("{extends: agents/base.yaml}", "agents/child.yaml"),
        encoding="utf-8")
    warned = _check(tmp_path, monkeypatch, capsys)
    assert [w.split(": warning: ")[0] for w in warned] == ["agents/base.yaml:3"], warned
