"""docs/errors.md quotes the real messages for the errors of raw requests, parties,
agents, fragments, ``extends:``, ``targets:`` and ``vars``.

Every located line the page's section quotes must appear, word for word, in
what ``osvi-scenarios check`` prints for the files below (the page's
``/home/qa/project/`` standing for the project folder); the 404 line must be
what a run prints. A reworded message fails here until the page says it too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from runner.tools.cli import main
from tests.conftest import RunPytest, WriteFile

PAGE = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
SECTION = "## Raw requests, parties, agents, fragments and targets"
DOC_ROOT = "/home/qa/project/"

FILES = {
    "raw.scenario.yaml": """\
scenario: Raw
steps:
  - request: {method: POST, path: /v1/chat/inbound, json: {}}
    expect: {reply: Hi}
""",
    "rawstatus.scenario.yaml": """\
scenario: Status elsewhere
steps:
  - customer: Hi
    expect: {status: 401}
""",
    "rawmethod.scenario.yaml": """\
scenario: Method
steps:
  - request: {method: FETCH, path: /v1/chat/inbound}
""",
    "party.scenario.yaml": """\
scenario: Party
customers: {anna: {}, ben: {}}
steps:
  - customer: Hi
    as: bne
""",
    "noparty.scenario.yaml": """\
scenario: No parties
steps:
  - customer: Hi
    as: anna
""",
    "waitas.scenario.yaml": """\
scenario: Wait as
customers: {anna: {}}
steps:
  - customer: Hi
    as: anna
  - wait: 1s
    as: anna
""",
    "agent.scenario.yaml": """\
scenario: Agent
agents: {sales: {}, billing: {}}
customers:
  anna: {agent: billnig}
steps:
  - customer: Hi
    as: anna
""",
    "noagents.scenario.yaml": """\
scenario: No agents
customers:
  anna: {agent: sales}
steps:
  - customer: Hi
""",
    "mockagent.scenario.yaml": """\
scenario: Reserved
agents:
  mock: {}
steps:
  - customer: Hi
""",
    "fragments/a.yaml": "- include: b.yaml\n",
    "fragments/b.yaml": "- include: a.yaml\n",
    "fragments/login.yaml": '- customer: "Hi, I am {{ name }}"\n',
    "cycle.scenario.yaml": "scenario: Cycle\nsteps:\n  - include: fragments/a.yaml\n",
    "missing.scenario.yaml": "scenario: Missing\nsteps:\n  - include: fragments/logn.yaml\n",
    "param.scenario.yaml": """\
scenario: Param
steps:
  - include: {file: fragments/login.yaml, with: {nme: Anna}}
""",
    "undef.scenario.yaml": """\
scenario: Undefined in a fragment
steps:
  - include: fragments/login.yaml
""",
    "inclother.scenario.yaml": """\
scenario: Other keys
steps:
  - include: fragments/login.yaml
    name: Login
""",
    "agents/a.yaml": "extends: b.yaml\ndefault_reply: A\n",
    "agents/b.yaml": "extends: a.yaml\ndefault_reply: B\n",
    "extcycle.scenario.yaml": """\
scenario: Extends cycle
mock:
  extends: agents/a.yaml
steps:
  - customer: Hi
""",
    "extmissing.scenario.yaml": """\
scenario: Extends missing
mock:
  extends: agents/refund.yaml
steps:
  - customer: Hi
""",
    "targets.scenario.yaml": "scenario: Targets\ntargets: [mok]\nsteps:\n  - customer: Hi\n",
    "vars.scenario.yaml": """\
scenario: Vars
vars:
  a: "{{ b }}-x"
  b: "{{ a }}-y"
steps:
  - customer: "{{ a }}"
""",
}

LOCATED = re.compile(r"^[\w./-]+\.ya?ml:\d+[:,] ")


def quoted_lines() -> list[str]:
    """The lines of the section's code blocks."""
    text = PAGE.read_text("utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    blocks = re.findall(r"```\n(.*?)```", text[start:end], flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_the_page_quotes_what_check_prints(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    located = [line for line in quoted_lines() if LOCATED.match(line)]
    assert len(located) >= 18, located  # every kind of error the section names
    assert main(["check", *sorted(n for n in FILES if n.endswith(".scenario.yaml"))]) == 1
    printed = capsys.readouterr().out.splitlines()
    for line in located:
        assert line.replace(DOC_ROOT, f"{tmp_path}/") in printed, (line, printed)


def test_the_page_quotes_the_404_a_run_prints(write: WriteFile, run: RunPytest) -> None:
    cause = [line for line in quoted_lines() if line.startswith("Cause:")]
    assert len(cause) == 1 and "agent_not_found" in cause[0]
    write("""\
scenario: Unknown agent
steps:
  - request:
      method: POST
      path: /v1/chat/inbound
      json: {agent_uuid: agent_nobody, customer_id: c-1, content: Hi}
""")
    result = run()
    result.assert_outcomes(failed=1)
    assert cause[0] in result.stdout.lines
