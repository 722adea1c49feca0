"""`osvi-mock check` and `osvi-mock serve` warn about patterns that can backtrack for ever,
in an agents file and in the files its agents extend, naming the agent and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.mock.server import main

AGENTS = """\
agent_refunds:
  replies:
    - when: "(?i)refund"
      reply: "Sure."
    - when: "^(\\\\w+\\\\s?)+$"
      reply: "Words."
agent_orders:
  extends: base.yaml
"""
BASE = """\
replies:
  - when: "(a|aa)*$"
    reply: "Aa."
"""


def test_check_warns_about_risky_patterns_and_still_passes_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "agents.yaml").write_text(AGENTS, "utf-8")
    (tmp_path / "base.yaml").write_text(BASE, "utf-8")
    assert main(["check", str(tmp_path / "agents.yaml")]) == 0
    out, err = capsys.readouterr()
    assert "ok (agent_orders, agent_refunds)" in out
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith(
        f"warning: {tmp_path / 'agents.yaml'}:5: agent_refunds.replies[1].when: the pattern "
        "/^(\\w+\\s?)+$/")
    assert "base.yaml:2: the pattern /(a|aa)*$/" in lines[1]
    assert lines[1].startswith("warning: ")


def test_a_file_without_risky_patterns_warns_about_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "agents.yaml").write_text("agent_x:\n  replies:\n    - when: refund\n"
                                          "      reply: Sure.\n", "utf-8")
    assert main(["check", str(tmp_path / "agents.yaml")]) == 0
    assert capsys.readouterr().err == ""


def test_the_token_is_masked_where_the_agents_file_is_quoted_back(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    token = "mock-token-5f3a9c"
    monkeypatch.setenv("OSVI_MOCK_TOKEN", token)
    (tmp_path / "agents.yaml").write_text(
        f'agent_a:\n  replies:\n    - when: "^({token}\\\\s?)+$"\n      reply: Hi\n'
        f"{token}: {{}}\n", "utf-8")
    assert main(["check", str(tmp_path / "agents.yaml")]) == 2
    err = capsys.readouterr().err
    assert "agents.yaml:5: '" in err  # the bad uuid is still named, masked
    assert token not in err
    (tmp_path / "agents.yaml").write_text(
        f'agent_a:\n  replies:\n    - when: "^(\\\\w+{token}\\\\s?)+$"\n      reply: Hi\n',
        "utf-8")
    assert main(["check", str(tmp_path / "agents.yaml")]) == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "the pattern" in err
    assert token not in err
