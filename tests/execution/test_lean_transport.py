"""The lean transport against a real server on 127.0.0.1: what httpx users rely on.

The server is a raw asyncio one, so each test can answer exactly as a broken or
unusual server would: chunked, closed early, garbled, silent, gzip.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from runner.execution.lean_transport import LeanTransport

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the runner's loop

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head, await reader.readexactly(length)


def _answer(body: bytes, *extra: bytes, status: bytes = b"200 OK") -> bytes:
    head = [b"HTTP/1.1 " + status, b"Content-Type: application/json",
            b"Content-Length: " + str(len(body)).encode(), *extra]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


@asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[tuple[str, list[int]]]:
    """Serve ``handler`` per connection; yields the base URL and the connections seen."""
    connections: list[int] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(len(connections) + 1)
        try:
            await handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}", connections


async def echo_forever(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        head, body = await _request(reader)
        path = head.split(b" ")[1]
        writer.write(_answer(json.dumps({"path": path.decode(), "got": body.decode()}).encode()))
        await writer.drain()


def client(url: str, **options: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, transport=LeanTransport(), **options)  # type: ignore[arg-type]


async def test_answers_come_back_and_one_connection_serves_many_requests() -> None:
    async with serve(echo_forever) as (url, connections), client(url) as http:
        for n in range(5):
            answer = await http.post("/v1/chat/inbound?x=1", json={"n": n})
            assert answer.status_code == 200
            sent = json.dumps({"n": n}, separators=(",", ":"))
            assert answer.json() == {"path": "/v1/chat/inbound?x=1", "got": sent}
    assert connections == [1]


async def test_chunked_and_close_delimited_and_gzip_bodies_are_read_whole() -> None:
    payload = json.dumps({"reply": "x" * 5000}).encode()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head, _ = await _request(reader)
        kind = head.split(b" ")[1]
        if kind == b"/chunked":
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for start in range(0, len(payload), 1000):
                piece = payload[start:start + 1000]
                writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            writer.write(b"0\r\n\r\n")
        elif kind == b"/gzip":
            writer.write(_answer(gzip.compress(payload), b"Content-Encoding: gzip"))
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + payload)
        await writer.drain()

    async with serve(handler) as (url, _), client(url) as http:
        for path in ("/chunked", "/gzip", "/close"):
            assert (await http.get(path)).json() == {"reply": "x" * 5000}, path


async def test_an_idle_connection_the_server_closed_is_not_reused() -> None:
    async def one_answer_then_close(reader: asyncio.StreamReader,
                                    writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        writer.write(_answer(b"{}"))
        await writer.drain()

    async with serve(one_answer_then_close) as (url, connections), client(url) as http:
        for _ in range(3):
            assert (await http.post("/x", json={})).status_code == 200
            await asyncio.sleep(0.05)  # the server's close reaches the idle connection
    assert connections == [1, 2, 3]


async def test_a_refused_connection_is_a_connect_error() -> None:
    async with serve(echo_forever) as (url, _):
        pass  # the port is free again
    async with client(url) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/")


async def test_a_silent_server_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        await asyncio.sleep(5)

    async with serve(silent) as (url, _), client(url, timeout=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get("/")


@pytest.mark.parametrize("answer", [
    b"garbage\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
    b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    b"",
])
async def test_a_broken_answer_is_an_httpx_error_not_a_crash(answer: bytes) -> None:
    async def broken(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        writer.write(answer)
        await writer.drain()

    async with serve(broken) as (url, _), client(url) as http:
        with pytest.raises(httpx.HTTPError):
            answer_ = await http.get("/")
            await answer_.aread()


async def test_a_body_left_unread_drops_its_connection() -> None:
    async with serve(echo_forever) as (url, connections), client(url) as http:
        async with http.stream("POST", "/a", json={"big": "y" * 100}):
            pass  # not read
        assert (await http.post("/b", json={})).json()["path"] == "/b"
    assert connections == [1, 2]


async def test_headers_given_by_the_client_reach_the_server() -> None:
    seen: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head, _ = await _request(reader)
        seen.append(head)
        writer.write(_answer(b"{}"))
        await writer.drain()

    async with serve(record) as (url, _), client(url, headers={"API-Token": "t0k"}) as http:
        await http.post("/x", json={"a": 1})
    head = seen[0].lower()
    assert b"api-token: t0k" in head and b"host: 127.0.0.1" in head
    assert b"content-length: 7" in head  # {"a":1}
