"""``osvi-mock`` as a program: help, agents-file errors, secrets in logs, stopping."""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path

import httpx
import pytest

from tests.mock.serverproc import run_cli, start_mock

SECRET = "s3cret-token-4242"


def test_help_lists_the_serve_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "serve" in result.stdout and "check" in result.stdout
    assert "/v1/chat/inbound" in result.stdout


def test_serve_help_explains_every_option() -> None:
    result = run_cli("serve", "--help")
    assert result.returncode == 0
    for option in ("--host", "--port", "--token", "--agents", "--log-level", "OSVI_MOCK_TOKEN",
                   "/_mock/clock"):
        assert option in result.stdout


def test_no_command_prints_help_and_fails() -> None:
    result = run_cli()
    assert result.returncode == 2
    assert "usage: osvi-mock" in result.stderr


def test_bad_agents_file_exits_2_with_file_and_line(tmp_path: Path) -> None:
    agents = tmp_path / "agents.yaml"
    agents.write_text(textwrap.dedent("""\
        agent_one:
          latency: fast
          replies:
            - whenn: refund
        """), encoding="utf-8")
    result = run_cli("serve", "--port", "0", "--agents", str(agents))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{agents}:2: agent_one.latency: `latency: fast` is not a duration; write a number "
        "with a unit, e.g. 200ms, 30s, 10m, 1h or 1m30s",
        f"{agents}:4: agent_one.replies[0]: unknown key 'whenn' (did you mean 'when'?); use one "
        "of: when, reply, choose, flaky, state, help_requested, latency, fault",
    ]
    assert "Traceback" not in result.stderr + result.stdout


def test_missing_agents_file_exits_2(tmp_path: Path) -> None:
    result = run_cli("serve", "--agents", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert result.stderr.startswith(f"{tmp_path / 'nope.yaml'}:1: cannot read the file")


def test_check_command(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("agent_one: {default_reply: hi}\n", encoding="utf-8")
    assert run_cli("check", str(good)).stdout.strip() == f"{good}: ok (agent_one)"
    bad = tmp_path / "bad.yaml"
    bad.write_text("agent_one: {agent: {status: gone}}\n", encoding="utf-8")
    result = run_cli("check", str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith(f"{bad}:1: agent_one.agent.status:")


@pytest.mark.parametrize("port", ["99999", "http"])
def test_bad_port_is_a_usage_error(port: str) -> None:
    result = run_cli("serve", "--port", port)
    assert result.returncode == 2
    assert "is not a port number" in result.stderr


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    served = start_mock(tmp_path / "first")
    try:
        port = served.url.rsplit(":", 1)[1]
        result = run_cli("serve", "--port", port)
        assert result.returncode == 1
        assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        served.stop()


def test_token_never_appears_in_output(tmp_path: Path) -> None:
    served = start_mock(tmp_path / "secret", env={"OSVI_MOCK_TOKEN": SECRET})
    wrong = "wrong-token-9999"
    with httpx.Client(base_url=served.url) as client:
        body = {"agent_uuid": "agent_demo", "customer_id": "c1", "content": "refund"}
        ok = client.post("/v1/chat/inbound", json=body, headers={"API-Token": SECRET})
        assert ok.status_code == 200
        session = ok.json()["data"]["session_id"]
        assert client.post("/v1/chat/inbound", json=body).status_code == 401
        assert client.post("/v1/chat/inbound", json=body,
                           headers={"API-Token": wrong}).status_code == 401
        client.post(f"/v1/chat/session/{session}/support", json={"command": "takeover"},
                    headers={"API-Token": SECRET})
    assert served.stop() == 0
    output = served.output()
    assert "POST /v1/chat/inbound 200" in output
    assert "POST /v1/chat/inbound 401" in output
    assert "auth is on" in output
    assert SECRET not in output
    assert wrong not in output


def test_without_a_token_auth_is_off_with_a_warning(tmp_path: Path) -> None:
    served = start_mock(tmp_path / "open")
    with httpx.Client(base_url=served.url) as client:
        reply = client.post("/v1/chat/inbound", json={
            "agent_uuid": "agent_demo", "customer_id": "c1", "content": "hi"})
        assert reply.json()["data"]["reply"].startswith("Hello!")
    assert served.stop() == 0
    assert "auth is OFF" in served.output()
    assert "(agents: agent_demo)" in served.output()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signals_stop_the_server_cleanly(tmp_path: Path, sig: int) -> None:
    served = start_mock(tmp_path / f"sig{sig}")
    assert served.stop(sig) == 0
    output = served.output()
    assert "osvi-mock: stopped" in output
    assert "Traceback" not in output
