"""``extends:`` for mock agents: a shared agent reused with overrides, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.core.errors import ScenarioFileError
from runner.language.agents_file import load_agents_file
from tests.conftest import RunPytest, WriteFile

REFUND_BOT = """
default_reply: "Refund desk: {{ message }}"
replies:
  - when: {contains: refund}
    reply: "Refund started."
agent: {status: active, disabled_commands: [tell]}
"""


@pytest.fixture(autouse=True)
def _refund_bot(write: WriteFile) -> None:
    write(REFUND_BOT, "agents/refund-bot.yaml")


def test_an_inline_mock_overrides_a_key_and_keeps_the_rest(
        write: WriteFile, run: RunPytest) -> None:
    write("""
        scenario: Override the default reply
        mock:
          extends: agents/refund-bot.yaml
          default_reply: "Other desk"
          agent: {status: active}       # merged: `disabled_commands` is inherited
        steps:
          - customer: Hello
            expect: {reply: Other desk}
          - customer: I want a refund
            expect: {reply: Refund started.}
          - tell: Be nice
            expect: {error: {status: 403, code: command_disabled}}
        """)
    run().assert_outcomes(passed=1)


def test_replies_replace_and_add_replies_come_first(write: WriteFile, run: RunPytest) -> None:
    write("""
        scenario: Replaced
        mock:
          extends: agents/refund-bot.yaml
          replies: [{when: {contains: voucher}, reply: Voucher sent.}]
        steps:
          - customer: I want a refund
            expect: {reply: "Refund desk: I want a refund"}
        ---
        scenario: Added
        mock:
          extends: agents/refund-bot.yaml
          add_replies: [{when: {contains: voucher}, reply: Voucher sent.}]
        steps:
          - customer: A voucher or a refund
            expect: {reply: Voucher sent.}
          - customer: I want a refund
            expect: {reply: Refund started.}
        """)
    run().assert_outcomes(passed=2)


def test_a_shared_mock_file_extends_relative_to_itself(write: WriteFile, run: RunPytest) -> None:
    write("extends: refund-bot.yaml\ndefault_reply: Child desk\n", "agents/child.yaml")
    write("""
        scenario: Shared child
        mock: agents/child.yaml
        steps:
          - customer: Hi
            expect: {reply: Child desk}
          - customer: refund
            expect: {reply: Refund started.}
        """)
    run().assert_outcomes(passed=1)


@pytest.mark.parametrize(("files", "extends", "expected"), [
    ({}, "agents/none.yaml", "*chat.scenario.yaml:3: mock agent file 'agents/none.yaml' "
     "not found*"),
    ({"agents/a.yaml": "extends: b.yaml\n", "agents/b.yaml": "extends: a.yaml\n"},
     "agents/a.yaml", "*agents/b.yaml:1: mock agents extend each other in a circle: "
     "chat.scenario.yaml -> agents/a.yaml -> agents/b.yaml -> agents/a.yaml*"),
    ({"agents/bad.yaml": "default_reply: ok\nreplys: []\n"}, "agents/bad.yaml",
     "*agents/bad.yaml:2: mock: unknown key 'replys' (did you mean 'replies'?)*"),
], ids=["missing", "cycle", "bad-parent"])
def test_bad_extends_are_file_line_errors(write: WriteFile, run: RunPytest,
                                          files: dict[str, str], extends: str,
                                          expected: str) -> None:
    for name, text in files.items():
        write(text, name)
    write(f"""
        scenario: Bad extends
        mock:
          extends: {extends}
        steps:
          - customer: Hi
        """)
    result = run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([expected])
    assert "Traceback" not in result.stdout.str()


def test_an_agents_file_extends_relative_to_itself(tmp_path: Path) -> None:
    agents = tmp_path / "agents.yaml"
    agents.write_text("agent_a:\n  extends: bot.yaml\n", encoding="utf-8")
    with pytest.raises(ScenarioFileError, match=r"agents.yaml:2: mock agent file 'bot.yaml' "
                       "not found"):
        load_agents_file(agents)
    (tmp_path / "bot.yaml").write_text("default_reply: Hi\n", encoding="utf-8")
    assert sorted(load_agents_file(agents)) == ["agent_a"]
