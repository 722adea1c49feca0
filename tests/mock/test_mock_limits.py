"""What the mock keeps is bounded, and idle connections cannot starve ``osvi-mock serve``.

Engine-level tests drive :class:`Engine` directly with small limits; the server
tests start ``osvi-mock serve`` with a low file descriptor limit, so that a
few hundred idle connections are enough to exhaust it.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.mock import Engine, ManualClock, MockAgent
from runner.mock.sessions import Limits
from tests.mock.serverproc import run_cli, start_mock

AGENT = "agent_basic"


def make_engine(**limits: int) -> Engine:
    agents = {AGENT: MockAgent.from_spec({
        "initial_context": ["policy"],
        "replies": [{"when": {"whisper": {"matches": "."}},
                     "reply": "{{ whisper }}|{{ message }}"}],
        "default_reply": "echo: {{ message }}"})}
    return Engine(agents, clock=ManualClock(), limits=Limits(**limits))


def say(engine: Engine, customer: str, content: str, **extra: Any) -> dict[str, Any]:
    outcome = engine.inbound({"agent_uuid": AGENT, "customer_id": customer, "content": content,
                              **extra})
    assert outcome.status == 200, outcome.payload
    assert outcome.payload is not None
    data: dict[str, Any] = outcome.payload["data"]
    return data


def support(engine: Engine, session_id: str, **body: Any) -> tuple[int, Any]:
    outcome = engine.support(session_id, body)
    return outcome.status, outcome.payload


def snapshot(engine: Engine, session_id: str) -> dict[str, Any]:
    outcome = engine.snapshot(session_id)
    assert outcome.status == 200 and outcome.payload is not None
    data: dict[str, Any] = outcome.payload["data"]
    return data


# -- sessions ------------------------------------------------------------------------------


def test_the_session_cap_evicts_closed_sessions_first() -> None:
    engine = make_engine(max_sessions=3)
    first, second, third = (say(engine, f"c{n}", "hi")["session_id"] for n in range(3))
    support(engine, second, command="close")
    fourth = say(engine, "c3", "hi")["session_id"]
    assert sorted(engine.sessions) == sorted([first, third, fourth])
    status, payload = support(engine, second, command="takeover")
    assert (status, payload["error"]) == (404, "session_not_found")


def test_then_the_session_quiet_for_longest() -> None:
    engine = make_engine(max_sessions=3)
    first, second, third = (say(engine, f"c{n}", "hi")["session_id"] for n in range(3))
    engine.clock.advance(60)
    say(engine, "c0", "still here")  # the first session is now the most recently active
    fourth = say(engine, "c3", "hi")["session_id"]
    assert sorted(engine.sessions) == sorted([first, third, fourth])
    assert engine.session(second) is None


def test_an_evicted_session_is_unknown_everywhere_and_its_customer_starts_afresh() -> None:
    engine = make_engine(max_sessions=1)
    old = say(engine, "alice", "hi")["session_id"]
    say(engine, "bob", "hi")
    refused = engine.inbound({"agent_uuid": AGENT, "customer_id": "alice", "content": "hi",
                              "session_id": old})
    assert (refused.status, refused.payload) == (404, {"success": False,
                                                      "error": "session_not_found"})
    assert engine.inject_context(old, {"context": "x"}).status == 404
    assert say(engine, "alice", "back again")["session_id"] not in (old, None)
    assert len(engine.sessions) == 1


def test_many_sessions_stay_within_the_cap() -> None:
    engine = make_engine(max_sessions=50)
    for number in range(1_000):
        say(engine, f"c{number}", "hi")
    assert len(engine.sessions) == 50


# -- history, context and whispers per session -----------------------------------------------


def test_history_keeps_the_last_entries() -> None:
    engine = make_engine(max_history=4)
    session_id = say(engine, "c", "m0")["session_id"]
    for number in range(1, 6):
        say(engine, "c", f"m{number}")
    history = snapshot(engine, session_id)["history"]
    assert [(e["role"], e["text"]) for e in history] == [
        ("customer", "m4"), ("agent", "echo: m4"), ("customer", "m5"), ("agent", "echo: m5")]


def test_tell_answers_the_last_customer_message_even_when_history_dropped_it() -> None:
    engine = make_engine(max_history=2)
    session_id = say(engine, "c", "where is my parcel")["session_id"]
    for number in range(3):
        assert support(engine, session_id, command="whisper", message=f"w{number}")[0] == 200
    status, payload = support(engine, session_id, command="tell", message="apologise")
    assert status == 200
    # Pending whispers keep the last two as well.
    assert payload["data"]["reply"] == "w1\nw2\napologise|where is my parcel"


def test_the_context_bucket_keeps_the_last_entries() -> None:
    engine = make_engine(max_history=3)
    session_id = say(engine, "c", "hi")["session_id"]
    for number in range(4):
        outcome = engine.inject_context(session_id, {"context": f"note {number}"})
    assert outcome.payload is not None
    assert outcome.payload["data"]["context"] == ["note 1", "note 2", "note 3"]


# -- text length -----------------------------------------------------------------------------


def test_texts_over_the_limit_are_refused_with_each_endpoints_error() -> None:
    engine = make_engine(max_text=10)
    session_id = say(engine, "c" * 10, "x" * 10)["session_id"]  # exactly the limit is fine
    long = "y" * 11
    for field in ("content", "customer_id"):
        body = {"agent_uuid": AGENT, "customer_id": "c", "content": "hi", field: long}
        outcome = engine.inbound(body)
        assert (outcome.status, outcome.payload) == (422, {"success": False,
                                                           "error": f"{field}_too_long"})
    status, payload = support(engine, session_id, command="whisper", message=long)
    assert status == 422
    assert payload["upstream_body"] == {"state": "invalid", "reason": "message_too_long"}
    outcome = engine.inject_context(session_id, {"context": long})
    assert (outcome.status, outcome.payload) == (400, {"success": False,
                                                       "error": "context_too_long"})
    assert [e["text"] for e in snapshot(engine, session_id)["history"]] == ["x" * 10,
                                                                           "echo: " + "x" * 10]


@pytest.mark.parametrize("limits", [{"max_sessions": 0}, {"max_history": -1},
                                    {"max_text": True}])
def test_limits_must_be_positive_whole_numbers(limits: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be a whole number of at least 1"):
        Limits(**limits)


# -- osvi-mock serve -----------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--max-sessions", "--max-history", "--max-text",
                                    "--max-connections"])
def test_limit_options_refuse_nonsense(option: str) -> None:
    result = run_cli("serve", option, "0")
    assert result.returncode == 2
    assert f"argument {option}: 0 is too small (at least 1)" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_applies_the_session_and_text_caps(tmp_path: Path) -> None:
    served = start_mock(tmp_path, "--max-sessions", "2", "--max-text", "20")
    try:
        with httpx.Client(base_url=served.url, timeout=10) as client:
            ids = [client.post("/v1/chat/inbound", json={
                "agent_uuid": "agent_demo", "customer_id": f"c{n}", "content": "hi"},
            ).json()["data"]["session_id"] for n in range(3)]
            assert client.get(f"/_mock/sessions/{ids[0]}").status_code == 404
            assert client.get(f"/_mock/sessions/{ids[2]}").status_code == 200
            too_long = client.post("/v1/chat/inbound", json={
                "agent_uuid": "agent_demo", "customer_id": "c", "content": "z" * 21})
            assert (too_long.status_code, too_long.json()["error"]) == (422, "content_too_long")
    finally:
        assert served.stop() == 0
    assert "limits: 2 sessions, 1000 history entries each, 20 characters a text" in \
        served.output()


def _idle_sockets(url: str, count: int, head: bytes) -> Iterator[socket.socket]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    deadline = time.monotonic() + 60
    for _ in range(count):
        if time.monotonic() > deadline:
            return
        sock = socket.create_connection((host, int(port)), timeout=10)
        if head:
            sock.sendall(head)
        yield sock


@pytest.mark.parametrize("head", [b"", b"POST /v1/chat/inbound HTTP/1.1\r\nHost: x\r\n"],
                         ids=["silent", "half-a-head"])
def test_idle_connections_do_not_starve_a_real_request(tmp_path: Path, head: bytes) -> None:
    # 256 descriptors: 300 idle connections used to exhaust them, and then no request
    # got in while asyncio logged a traceback for every refused accept.
    served = start_mock(tmp_path, max_open_files=256)
    try:
        with ExitStack() as stack:
            for sock in _idle_sockets(served.url, 300, head):
                stack.enter_context(sock)
            answer = httpx.post(served.url + "/v1/chat/inbound", timeout=20, json={
                "agent_uuid": "agent_demo", "customer_id": "real", "content": "Hello"})
            assert answer.status_code == 200
            assert answer.json()["data"]["reply"].startswith("Hello!")
    finally:
        assert served.stop() == 0
    output = served.output()
    assert "Traceback" not in output
    assert len(output) < 20_000, output[-2000:]


def test_a_connection_that_never_finishes_its_request_is_closed(tmp_path: Path) -> None:
    served = start_mock(tmp_path, "--read-timeout", "0.5")
    try:
        host, port = served.url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as silent, \
                socket.create_connection((host, int(port)), timeout=10) as slow:
            slow.sendall(b"POST /v1/chat/inbound HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n"
                         b"\r\n{\"agent_uuid\":")
            assert silent.recv(1024) == b""  # closed by the server, well before 10 s
            assert slow.recv(1024) == b""
    finally:
        assert served.stop() == 0


def test_a_slow_answer_is_not_cut_by_the_read_timeout(tmp_path: Path) -> None:
    agents = tmp_path / "agents.yaml"
    agents.write_text("agent_slow:\n  latency: 1500ms\n", encoding="utf-8")
    served = start_mock(tmp_path / "server", "--agents", str(agents), "--read-timeout", "0.5")
    try:
        with httpx.Client(base_url=served.url, timeout=10) as client:
            for _ in range(2):  # twice over one kept-alive connection
                answer = client.post("/v1/chat/inbound", json={
                    "agent_uuid": "agent_slow", "customer_id": "c", "content": "hi"})
                assert answer.status_code == 200
    finally:
        assert served.stop() == 0


def test_help_lists_the_limits() -> None:
    result = run_cli("serve", "--help")
    for option in ("--max-sessions", "--max-history", "--max-text", "--max-connections",
                   "--read-timeout"):
        assert option in result.stdout
