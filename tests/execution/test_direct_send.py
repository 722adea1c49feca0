"""The scenario's POSTs skip httpx's per-request layers, and nothing a user relies on changes.

What goes on the wire, cookies a load balancer sets, and a proxy from the
environment, each against a real server on 127.0.0.1 through the run's own
live client (``LiveTarget``), so the lean transport and httpx's proxy mounts
are the ones a run uses.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from runner.execution.client import OsviClient
from runner.execution.direct_send import DirectSender
from runner.execution.targets import LiveTarget

pytestmark = pytest.mark.anyio
TOKEN = "direct-send-token-0123456789"
ANSWER = {"success": True, "data": {"session_id": "s-1", "reply": "Hello", "mode": "ai",
                                    "help_requested": False}}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


Seen = list[tuple[bytes, dict[str, str], bytes]]  # request line, headers, body


async def _read(reader: asyncio.StreamReader) -> tuple[bytes, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    line, *fields = head.rstrip(b"\r\n").split(b"\r\n")
    headers = {}
    for field in fields:
        name, _, value = field.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return line, headers, body


@asynccontextmanager
async def serve(extra: Callable[[int], list[bytes]] = lambda n: []
                ) -> AsyncIterator[tuple[str, Seen]]:
    """An OSVI-shaped server that records each request; ``extra(n)`` adds header lines."""
    seen: Seen = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                seen.append(await _read(reader))
                body = json.dumps(ANSWER).encode()
                head = [b"HTTP/1.1 200 OK", b"Content-Type: application/json",
                        b"Content-Length: " + str(len(body)).encode(), *extra(len(seen))]
                writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", seen
    finally:
        server.close()


def _target(url: str) -> LiveTarget:
    return LiveTarget(base_url=url, token=TOKEN, timeout=5, max_wait=0, contract=False)


async def _inbound(target: LiveTarget, *texts: str) -> None:
    async with target.connect("agent-1", None) as connection:
        client: Any = connection.client
        for text in texts:
            await client.inbound("agent-1", "cust-1", text)
    await target.aclose()


async def test_the_request_on_the_wire_is_the_one_httpx_builds() -> None:
    body = {"agent_uuid": "agent-1", "customer_id": "cust-1", "content": "Grüße, €5"}
    async with serve() as (url, seen):
        target = _target(url)
        await _inbound(target, body["content"])
    line, headers, sent = seen[0]
    assert line == b"POST /v1/chat/inbound HTTP/1.1"
    expected = httpx.Request("POST", f"{url}/v1/chat/inbound", json=body)
    assert sent == expected.content
    assert headers["content-type"] == "application/json"
    assert headers["content-length"] == str(len(sent))
    assert headers["api-token"] == TOKEN
    assert headers["host"] == url.removeprefix("http://")
    assert headers["user-agent"].startswith("osvi-scenarios")


async def test_a_cookie_the_server_sets_is_sent_back() -> None:
    # A sticky load balancer pins a client to one node with a cookie.
    async with serve(lambda n: [b"Set-Cookie: node=n7; Path=/"] if n == 1 else []) as (url, seen):
        await _inbound(_target(url), "first", "second", "third")
    assert "cookie" not in seen[0][1]
    assert [headers.get("cookie") for _, headers, _ in seen[1:]] == ["node=n7", "node=n7"]


async def test_a_proxy_from_the_environment_carries_the_requests(
        monkeypatch: pytest.MonkeyPatch) -> None:
    async with serve() as (proxy, seen):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        # A host that resolves nowhere: only the proxy can have answered.
        await _inbound(_target("http://osvi-api.invalid:8080"), "hello")
    line, headers, _ = seen[0]
    assert line == b"POST http://osvi-api.invalid:8080/v1/chat/inbound HTTP/1.1"
    assert headers["api-token"] == TOKEN


async def test_credentials_in_the_url_keep_httpx_own_path() -> None:
    async with httpx.AsyncClient(base_url="http://user:pw@127.0.0.1:9") as with_userinfo, \
            httpx.AsyncClient(base_url="http://127.0.0.1:9", auth=("u", "p")) as with_auth, \
            httpx.AsyncClient(base_url="http://127.0.0.1:9") as plain:
        assert DirectSender.for_client(with_userinfo) is None
        assert DirectSender.for_client(with_auth) is None
        assert DirectSender.for_client(plain) is not None


async def test_an_unreachable_server_is_still_reported_as_nothing_sent() -> None:
    async with serve() as (url, _):
        pass  # closed: the port refuses connections now
    async with httpx.AsyncClient(base_url=url) as http:
        client = OsviClient(http, timeout=2, retries=0)
        with pytest.raises(Exception, match="could not connect"):
            await client.inbound("agent-1", "cust-1", "hello")


async def test_a_server_that_closes_after_every_answer_gets_a_new_connection_each_time(
        ) -> None:
    # No `Connection: close` header: the next request is sent at once, before the
    # loop has read the server's FIN on the idle connection.
    opened: list[int] = []

    async def one_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        opened.append(1)
        try:
            await _read(reader)
            body = json.dumps(ANSWER).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(one_answer, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        await _inbound(_target(url), *[f"message {n}" for n in range(20)])
    finally:
        server.close()
    assert len(opened) == 20


@pytest.mark.parametrize("base", ["http://127.0.0.1:9", "http://127.0.0.1:9/api/",
                                  "https://osvi.example/prefix"])
@pytest.mark.parametrize("path", ["/v1/chat/inbound", "/v1/chat/session/s%2F1 x/support",
                                  "/v1/chat/session/ä?q=1/support"])
async def test_urls_are_merged_as_httpx_merges_them(base: str, path: str) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        sender = DirectSender.for_client(http)
        assert sender is not None
        assert sender._url(path) == http.build_request("POST", path).url
