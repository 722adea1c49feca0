"""``osvi-mock serve --agents FILE``: an agent may extend an agent file, as a scenario's mock does.

Paths are relative to the agents file; unknown bases and agents that extend
each other in a circle are refused at the ``extends:`` line, exit status 2,
no traceback.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx

from tests.mock.serverproc import run_cli, start_mock

BOT = """\
default_reply: "Refund bot here."
replies:
  - when: refund
    reply: "Your refund is on its way."
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _say(client: httpx.Client, agent: str, content: str) -> str:
    answer = client.post("/v1/chat/inbound", json={
        "agent_uuid": agent, "customer_id": "c1", "content": content})
    assert answer.status_code == 200, answer.text
    reply: str = answer.json()["data"]["reply"]
    return reply


def test_served_agents_extend_a_file_next_to_the_agents_file(tmp_path: Path) -> None:
    folder = tmp_path / "mocks"
    _write(folder / "bots" / "refund-bot.yaml", BOT)
    agents = _write(folder / "agents.yaml", """\
        agent_refunds:
          extends: bots/refund-bot.yaml
          default_reply: "Refunds desk."
        agent_vip:
          extends: bots/refund-bot.yaml
          add_replies:
            - when: hello
              reply: "Welcome back!"
        """)
    served = start_mock(tmp_path / "run", "--agents", str(agents))
    try:
        with httpx.Client(base_url=served.url) as client:
            assert _say(client, "agent_refunds", "refund please") == "Your refund is on its way."
            assert _say(client, "agent_refunds", "hi") == "Refunds desk."
            assert _say(client, "agent_vip", "hello") == "Welcome back!"
            assert _say(client, "agent_vip", "refund") == "Your refund is on its way."
    finally:
        assert served.stop() == 0
    assert "(agents: agent_refunds, agent_vip)" in served.output()
    assert run_cli("check", str(agents)).returncode == 0


def test_an_unknown_base_is_refused_at_the_extends_line(tmp_path: Path) -> None:
    agents = _write(tmp_path / "agents.yaml", """\
        agent_a:
          default_reply: Hi
        agent_b:
          extends: bots/nope.yaml
        """)
    result = run_cli("serve", "--port", "0", "--agents", str(agents))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{agents}:4: mock agent file 'bots/nope.yaml' not found (looked for "
        f"{tmp_path / 'bots' / 'nope.yaml'}); give the path of a mock agent file relative to "
        "this file's folder"]
    assert "Traceback" not in result.stderr + result.stdout


def test_agents_that_extend_each_other_in_a_circle_are_refused(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", "extends: b.yaml\n")
    _write(tmp_path / "b.yaml", "extends: a.yaml\n")
    agents = _write(tmp_path / "agents.yaml", "agent_a:\n  extends: a.yaml\n")
    result = run_cli("check", str(agents))
    assert result.returncode == 2
    assert "mock agents extend each other in a circle: " in result.stderr
    assert "a.yaml -> " in result.stderr and result.stderr.rstrip().endswith(
        "remove one of these `extends:`")
    assert "Traceback" not in result.stderr + result.stdout


def test_a_base_with_a_scenario_variable_is_refused_in_an_agents_file(tmp_path: Path) -> None:
    # An agents file has no variables: what a base leaves to fill in is an error.
    _write(tmp_path / "bot.yaml", 'default_reply: "Hello {{ name }}"\n')
    agents = _write(tmp_path / "agents.yaml", "agent_a:\n  extends: bot.yaml\n")
    result = run_cli("check", str(agents))
    assert result.returncode == 2
    assert result.stderr.startswith(f"{agents}:2: ")
    assert "{{ name }}" in result.stderr or "name" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
