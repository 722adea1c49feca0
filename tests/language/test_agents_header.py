"""The run summary names the agents a run's `agents:` scenarios talked to, in one line.

pytest prints its header before any scenario file is read, so the line is in the
`osvi summary` section: `agents: sales → agent_sales, billing → agent_billing
(embedded mock)`, live the ids, at most four names and then "and N more".
"""

from __future__ import annotations

import pytest

from tests.conftest import RunPytest, WriteFile
from tests.reliability.conftest import live

DESKS = """
scenario: {name}
agents:
{agents}
steps:
  - customer: "Hello"
"""


def _desks(name: str, *agents: str) -> str:
    return DESKS.format(name=name, agents="\n".join(
        f"  {agent}: {{id: \"{{{{ env.{agent.upper()}_UUID }}}}\", "
        f"mock: {{default_reply: \"{agent} desk.\"}}}}" for agent in agents))


def _agents_lines(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if line.startswith("agents:")]


def test_the_summary_names_the_mock_agents(write: WriteFile, run: RunPytest) -> None:
    write(_desks("Two desks", "sales", "billing") + "---\nscenario: Plain\nsteps:\n"
          "  - customer: Hi\n")
    result = run()
    result.assert_outcomes(passed=2)
    assert _agents_lines(result) == [
        "agents: sales → agent_sales, billing → agent_billing (embedded mock)"]


def test_a_run_without_agents_has_no_agents_line(write: WriteFile, run: RunPytest) -> None:
    write("scenario: Plain\nsteps:\n  - customer: Hi\n")
    result = run()
    result.assert_outcomes(passed=1)
    assert _agents_lines(result) == []


def test_more_than_four_agents_are_counted_and_each_is_named_once(
        write: WriteFile, run: RunPytest) -> None:
    write(_desks("One", "sales", "billing", "returns") + "---\n"
          + _desks("Two", "billing", "support", "shipping", "claims"))
    result = run()
    result.assert_outcomes(passed=2)
    assert _agents_lines(result) == [
        "agents: sales → agent_sales, billing → agent_billing, returns → agent_returns, "
        "support → agent_support and 2 more (embedded mock)"]


def test_live_the_summary_names_the_ids_even_of_a_skipped_scenario(
        pytester: pytest.Pytester, write: WriteFile, refused_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALES_UUID", "3f0c9a1e-sales")
    monkeypatch.delenv("BILLING_UUID", raising=False)
    write(_desks("Two desks live", "sales", "billing"))
    result = live(pytester, monkeypatch, refused_url)
    result.assert_outcomes(skipped=1)  # billing has no id
    assert _agents_lines(result) == ["agents: sales → 3f0c9a1e-sales, billing → no id (live)"]
