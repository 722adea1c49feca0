"""Risky regular expressions in the mocks of named agents (``agents:``) are warned about.

As for a scenario's own ``mock:``, a pattern that can backtrack exponentially is
legal, so it is a warning (pytest's warnings summary, ``osvi-scenarios check``),
naming the agent and where in its mock the pattern is, at the pattern's line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.tools import cli
from tests.conftest import RunPytest, WriteFile

INLINE = """\
scenario: Two agents
agents:
  sales:
    id: agent_sales
    mock:
      replies:
        - when: "(a+)+$"
          reply: "Sales here."
customers:
  anna: {agent: sales}
steps:
  - customer: Hi
    as: anna
"""


def test_an_inline_agent_mock_pattern_is_warned_about_by_pytest(
        write: WriteFile, run: RunPytest) -> None:
    write(INLINE, "two.scenario.yaml")
    result = run("-W", "default")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*two.scenario.yaml:7: ScenarioWarning: agents.sales.mock.replies[[]0].when: "
        "the pattern /(a+)+$/ *"])


def test_check_names_the_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "two.scenario.yaml").write_text(INLINE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "."]) == 0
    out = capsys.readouterr().out
    assert out.startswith("two.scenario.yaml:7: warning: agents.sales.mock.replies[0].when: "
                          "the pattern /(a+)+$/ "), out


def test_an_agent_mock_file_pattern_is_warned_about_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "billing.yaml").write_text(
        "default_reply: Billing.\nappend:\n  - when: \"(a|aa)*b\"\n    text: \" x\"\n",
        encoding="utf-8")
    for name in ("one", "two"):
        (tmp_path / f"{name}.scenario.yaml").write_text(f"""\
scenario: {name}
agents:
  billing: {{id: agent_billing, mock: agents/billing.yaml}}
customers:
  anna: {{agent: billing}}
steps:
  - customer: Hi
    as: anna
""", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "."]) == 0
    warned = [line for line in capsys.readouterr().out.splitlines() if "warning:" in line]
    assert len(warned) == 1, warned
    assert warned[0].startswith("agents/billing.yaml:3: warning: the pattern /(a|aa)*b/ ")
