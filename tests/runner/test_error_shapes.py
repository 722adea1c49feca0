"""Both error shapes the vendor documents: `error` (endpoint pages) and `errors` (introduction).

The API introduction shows errors as ``{"success": false, "errors": ["field is
required"]}``. A live API answering so must be judged like any other error:
``expect: {error: {status: 400}}`` passes, ``code`` matches any entry of the
list, and ``reason`` (the chat engine's ``upstream_body.reason``) is absent.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from runner.execution.contract import contract_problem
from tests.conftest import WriteFile

TOKEN = "shape-token-7a6b5c4d"
SESSION = "shape-session-1"
LIST_ERROR = {"success": False, "errors": ["field is required",
                                           {"code": "content_blank", "message": "is blank"}]}


def _answer(status: int, payload: Any) -> bytes:
    body = json.dumps(payload).encode()
    return (f"HTTP/1.1 {status} Status\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def _reply(path: str, body: dict[str, Any]) -> bytes:
    if path.endswith("/support"):
        return _answer(200, {"success": True, "data": {"state": "ok", "session_id": SESSION,
                                                       "command": body.get("command")}})
    if body.get("content") == "bad":
        return _answer(400, LIST_ERROR)
    if body.get("content") == "busy":
        return _answer(422, {"success": False, "errors": []})
    return _answer(200, {"success": True, "data": {
        "session_id": SESSION, "reply": "Hello", "state": "default", "mode": "ai",
        "help_requested": False}})


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            path, length = line.split()[1].decode(), 0
            while (header := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = header.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = json.loads(await reader.readexactly(length)) if length else {}
            writer.write(_reply(path, body))
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        return
    finally:
        writer.close()


@pytest.fixture
def list_error_server() -> Iterator[str]:
    """A live API on 127.0.0.1 whose errors come in the introduction's shape."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(
        asyncio.start_server(_serve, "127.0.0.1", 0), loop).result(10)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        async def stop() -> None:
            server.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def live(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
         url: str) -> pytest.RunResult:
    monkeypatch.setenv("OSVI_API_TOKEN", TOKEN)
    return pytester.runpytest("--osvi-base-url", url, "--osvi-agent", "agent_Shape",
                              "-p", "no:cacheprovider", "-rA")


def test_an_expected_400_in_the_list_shape_passes(
        pytester: pytest.Pytester, write: WriteFile, list_error_server: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    write("""
        scenario: A blank message is refused
        steps:
          - customer: bad
            expect: {error: {status: 400}}
          - customer: bad
            expect: {error: {status: 400, code: field is required}}
          - customer: bad
            expect: {error: {code: content_blank}}
          - customer: bad
            expect: {error: {code: {contains: blank}}}
          - customer: hello
            expect: {reply: Hello}
    """)
    result = live(pytester, monkeypatch, list_error_server)
    result.assert_outcomes(passed=1)


def test_a_wrong_code_or_a_reason_fails_and_shows_the_list(
        pytester: pytest.Pytester, write: WriteFile, list_error_server: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    write("""
        scenario: Wrong code
        steps:
          - customer: bad
            expect: {error: {status: 400, code: agent_not_found}}
    """, "code.scenario.yaml")
    write("""
        scenario: No reason in this shape
        steps:
          - customer: busy
            expect: {error: {status: 422, reason: engine_overloaded}}
    """, "reason.scenario.yaml")
    result = live(pytester, monkeypatch, list_error_server)
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    assert "breaks the API contract" not in output
    result.stdout.fnmatch_lines([
        '*error.code*expected: equals "agent_not_found" (any entry of `errors`)*',
        '*actual: [[]"field is required", "content_blank", "is blank"]*',
    ])
    result.stdout.fnmatch_lines(["*error.reason*", "*actual: (not in the answer)*"])
    result.stdout.fnmatch_lines(["all scenarios*0*2*0*0"])  # failed, not broken


@pytest.mark.parametrize(("path", "status"), [
    ("/v1/chat/inbound", 400), ("/v1/chat/inbound", 404), ("/v1/chat/inbound", 422),
    ("/v1/chat/inbound", 401), ("/v1/chat/inbound", 502),
    ("/v1/chat/session/s/support", 403), ("/v1/chat/session/s/support", 422),
    ("/v1/chat/session/s/inject_context", 400), ("/v1/chat/session/s/inject_context", 404),
])
def test_the_contract_accepts_the_list_shape_on_every_error(path: str, status: int) -> None:
    assert contract_problem("POST", path, status, LIST_ERROR) is None
    assert contract_problem("POST", path, status,
                            {"success": False, "error": "agent_not_found"}) is None


@pytest.mark.parametrize("body", [
    {"success": False, "errors": "field is required"},
    {"success": False},
    {"success": True, "errors": []},
])
def test_an_error_in_neither_shape_still_breaks_the_contract(body: Any) -> None:
    problem = contract_problem("POST", "/v1/chat/inbound", 400, body)
    assert problem is not None and problem.startswith("the answer breaks the API contract at ")
