"""Live-mode runs against real HTTP servers on 127.0.0.1.

The standalone mock (with its fault injection) plays the live API; the tiny
fault server in :mod:`tests.reliability.faultserver` adds what the mock cannot
do: truncated answers, resets and contract drift.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.mock.serverproc import ServedMock, start_mock
from tests.reliability.faultserver import FaultServer, fault_server

TOKEN = "reliable-token-5c1d9e77"
AGENTS = Path(__file__).with_name("agents.yaml")


@pytest.fixture(scope="session")
def mock_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    served = start_mock(tmp_path_factory.mktemp("reliability-mock"), "--agents", str(AGENTS),
                        env={"OSVI_MOCK_TOKEN": TOKEN})
    yield served
    stop_quickly(served)
    assert TOKEN not in served.output(), "the mock server logged the token"


def stop_quickly(served: ServedMock) -> None:
    """Stop the server without waiting out requests it is still delaying on purpose."""
    served.process.send_signal(signal.SIGINT)
    try:
        served.process.wait(1)
    except subprocess.TimeoutExpired:
        served.stop()  # a second Ctrl-C makes uvicorn drop what is still in flight


@pytest.fixture(scope="session")
def mock_url(mock_server: ServedMock) -> str:
    return mock_server.url


@pytest.fixture
def raw_server() -> Iterator[FaultServer]:
    with fault_server() as server:
        yield server


def live(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, url: str, *args: str,
         agent: str = "agent_Echo", token: str = TOKEN) -> pytest.RunResult:
    """Run the pytester folder's scenarios live (in process) against ``url``."""
    monkeypatch.setenv("OSVI_API_TOKEN", token)
    return pytester.runpytest("--osvi-base-url", url, "--osvi-agent", agent,
                              "-p", "no:cacheprovider", *args)


def mock_session(url: str, session_id: str) -> dict[str, Any]:
    """The mock's own record of a session: status, history..."""
    response = httpx.get(f"{url}/_mock/sessions/{session_id}", headers={"API-Token": TOKEN},
                         timeout=10)
    response.raise_for_status()
    data: dict[str, Any] = response.json()["data"]
    return data


def resume(url: str, agent: str, customer: str, text: str) -> dict[str, Any]:
    """Send ``text`` as ``customer``: the mock resumes the customer's open session, if any."""
    response = httpx.post(f"{url}/v1/chat/inbound", headers={"API-Token": TOKEN}, timeout=10,
                          content=json.dumps({"agent_uuid": agent, "customer_id": customer,
                                              "content": text}))
    data: dict[str, Any] = response.json()["data"]
    return data


def customer_lines(history: list[dict[str, Any]]) -> list[str]:
    return [entry["text"] for entry in history if entry["role"] == "customer"]


def unwrapped(result: pytest.RunResult) -> pytest.LineMatcher:
    """The output with the transcript's wrapped lines joined again, for matching whole lines."""
    text = re.sub(r"\n {32}(?=\S)", " ", result.stdout.str())
    return pytest.LineMatcher(text.splitlines())
