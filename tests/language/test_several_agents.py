"""Several agents in one scenario (``agents:`` and a party's ``agent:``), end to end."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.tools.cli import main
from tests.conftest import RunPytest, WriteFile
from tests.mock.serverproc import start_mock
from tests.reliability.conftest import TOKEN, live, mock_session, stop_quickly

TWO_DESKS = """
scenario: Two desks
agents:
  sales:
    id: "{{ env.SALES_UUID }}"
    mock:
      replies:
        - when: "(?i)order ([A-Z0-9-]+)"
          reply: "Sales: order {{ match.1 }} ships today."
      default_reply: "Sales desk."
  billing:
    id: "{{ env.BILLING_UUID }}"
    mock: agents/billing.yaml
customers:
  anna: {agent: sales}
  ben: {agent: billing}
  carl: {}
steps:
  - customer: "Where is order A-48213?"
    as: anna
    save: {anna_sid: session_id}
    expect: {reply: "Sales: order A-48213 ships today."}
  - customer: "My invoice, please"
    as: ben
    save: {ben_sid: session_id}
    expect:
      reply: {equals: "Billing desk.", not_contains: A-48213}
      data: {data.session_id: {not: "{{ anna_sid }}"}}
  - customer: "Hello"
    as: carl
    expect: {reply: "Main desk."}
  - customer: "Hello again"
    expect: {reply: "Main desk."}
  - customer: "Again"
    as: anna
    expect: {reply: "Sales desk.", session: same, data: {data.session_id: "{{ anna_sid }}"}}
"""

BILLING = """
extends: base.yaml
default_reply: "Billing desk."
"""


def write_desks(write: WriteFile, extra: str = "") -> None:
    write("default_reply: Base desk.\nreplies:\n  - when: {contains: zzz}\n    reply: z\n",
          "agents/base.yaml")
    write(BILLING, "agents/billing.yaml")
    write(TWO_DESKS.replace("scenario: Two desks\n",
                            "scenario: Two desks\nmock: {default_reply: Main desk.}\n" + extra))


def test_each_party_talks_to_its_own_mock_agent(write: WriteFile, run: RunPytest) -> None:
    write_desks(write)
    result = run("-rP")
    result.assert_outcomes(passed=1)
    # the chat says which agent each party talked to
    result.stdout.fnmatch_lines(["*(as anna to sales)*", "*(as ben to billing)*",
                                 "*(as carl)*"])


def test_an_unknown_agent_still_answers_404_on_the_mock(write: WriteFile,
                                                       run: RunPytest) -> None:
    write("""
scenario: Unknown agent
agents: {sales: {mock: {default_reply: Sales.}}}
customers: {anna: {agent: sales}}
steps:
  - customer: Hi
    as: anna
    expect: {reply: Sales.}
  - request:
      method: POST
      path: /v1/chat/inbound
      json: {agent_uuid: agent_billing, customer_id: c-1, content: Hi}
    expect: {status: 404, body: {error: agent_not_found}}
  - request:
      method: POST
      path: /v1/chat/inbound
      json: {agent_uuid: agent_sales, customer_id: c-1, content: Hi}
    expect: {status: 200, body: {data.reply: Sales.}}
""")
    run().assert_outcomes(passed=1)


def test_an_agent_without_mock_is_the_demo_agent(write: WriteFile, run: RunPytest) -> None:
    write("""
scenario: Demo desk
agents: {helpdesk: {}}
customers: {anna: {agent: helpdesk}}
mock: {default_reply: Main desk.}
steps:
  - customer: Hi
    as: anna
    expect: {reply: {not: Main desk.}}
""")
    run().assert_outcomes(passed=1)


def test_an_unknown_agent_name_gets_file_line_and_did_you_mean(write: WriteFile,
                                                              run: RunPytest) -> None:
    write("""
scenario: Typo
agents: {sales: {}, billing: {}}
customers:
  anna: {agent: billnig}
steps:
  - customer: Hi
    as: anna
""")
    result = run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        "chat.scenario.yaml:4: `agent: billnig` is not an agent under `agents:` (did you mean "
        "'billing'?); write one of `sales`, `billing` or add it to `agents:`"])


def test_check_reports_agent_mistakes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "a.scenario.yaml").write_text("""\
scenario: A
customers:
  anna: {agent: sales}
steps:
  - customer: Hi
""", encoding="utf-8")
    (tmp_path / "b.scenario.yaml").write_text("""\
scenario: B
agents:
  sales:
    mock:
      replies:
        - whenn: x
          reply: y
  billing:
    mock: agents/nowhere.yaml
steps:
  - customer: Hi
""", encoding="utf-8")
    assert main(["check", "a.scenario.yaml", "b.scenario.yaml"]) == 1
    out = capsys.readouterr().out
    assert ("a.scenario.yaml:3: `agent: sales` names an agent, but the scenario has no "
            "`agents:`; add `agents: {sales: {id: ..., mock: ...}}`") in out, out
    assert "b.scenario.yaml:6: " in out and "unknown key 'whenn'" in out, out
    (tmp_path / "b.scenario.yaml").write_text("""\
scenario: B
agents:
  billing:
    mock: agents/nowhere.yaml
steps:
  - customer: Hi
""", encoding="utf-8")
    (tmp_path / "c.scenario.yaml").write_text("""\
scenario: C
agents:
  mock: {}
steps:
  - customer: Hi
""", encoding="utf-8")
    assert main(["check", "b.scenario.yaml", "c.scenario.yaml"]) == 1
    out = capsys.readouterr().out
    assert "b.scenario.yaml:4: mock agent file 'agents/nowhere.yaml' not found" in out, out
    assert ("c.scenario.yaml:3: an agent cannot be named `mock`: on the embedded mock it "
            "would be the default agent, agent_mock") in out, out


def test_an_id_from_an_unset_variable_is_no_error_on_the_mock(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The live id is optional where it is not used; a typo in a name is still caught."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.scenario.yaml").write_text("""\
scenario: A
agents:
  sales: {id: "{{ env.OSVI_NOT_SET_ANYWHERE }}"}
  billing: {id: "{{ biling_id }}"}
vars: {billing_id: agent_b}
steps:
  - customer: Hi
""", encoding="utf-8")
    assert main(["check", "a.scenario.yaml"]) == 1
    out = capsys.readouterr().out
    assert "OSVI_NOT_SET_ANYWHERE" not in out, out
    assert "a.scenario.yaml:4: undefined variable 'biling_id' (did you mean 'billing_id'?)" \
        in out, out


# -- live, against `osvi-mock serve` hosting two agents ------------------------------------

LIVE_AGENTS = """
agent_Sales:
  replies:
    - when: "(?i)order"
      reply: "Sales: noted."
  default_reply: "Sales desk."
agent_Billing:
  default_reply: "Billing desk."
agent_Main:
  default_reply: "Main desk."
"""


@pytest.fixture(scope="module")
def two_agent_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("two-agents")
    agents = folder / "agents.yaml"
    agents.write_text(LIVE_AGENTS, encoding="utf-8")
    served = start_mock(folder, "--agents", str(agents), env={"OSVI_MOCK_TOKEN": TOKEN})
    yield served.url
    stop_quickly(served)


LIVE_SCENARIO = """
scenario: Two desks live
agents:
  sales: {id: "{{ env.SALES_UUID }}"}
  billing: {id: "{{ env.BILLING_UUID }}"}
customers:
  anna: {agent: sales}
  ben: {agent: billing}
steps:
  - customer: "My order"
    as: anna
    save: {anna_sid: session_id}
    expect: {reply: "Sales: noted."}
  - customer: "My invoice"
    as: ben
    expect:
      reply: "Billing desk."
      data: {data.session_id: {not: "{{ anna_sid }}"}}
  - customer: "Hi"
    expect: {reply: "Main desk."}
"""


def test_live_each_party_reaches_its_agent_and_every_session_is_closed(
        pytester: pytest.Pytester, write: WriteFile, two_agent_mock: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALES_UUID", "agent_Sales")
    monkeypatch.setenv("BILLING_UUID", "agent_Billing")
    write(LIVE_SCENARIO)
    result = live(pytester, monkeypatch, two_agent_mock, "-rP", agent="agent_Main")
    result.assert_outcomes(passed=1)
    closed = re.findall(r"closed session (\S+) \(cleanup\)", result.stdout.str())
    records = [mock_session(two_agent_mock, session) for session in set(closed)]
    assert len(records) == 3, result.stdout.str()
    assert {r["status"] for r in records} == {"closed"}
    assert sorted(r["agent_uuid"] for r in records) == ["agent_Billing", "agent_Main",
                                                        "agent_Sales"]


def test_live_an_agent_without_an_id_is_a_skip_with_the_reason(
        pytester: pytest.Pytester, write: WriteFile, two_agent_mock: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALES_UUID", "agent_Sales")
    monkeypatch.delenv("BILLING_UUID", raising=False)
    write(LIVE_SCENARIO)
    result = live(pytester, monkeypatch, two_agent_mock, "-rs", agent="agent_Main")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([
        "*'Two desks live': agent `billing` has no id for a live run: environment variable "
        "'BILLING_UUID' is not set*"])
