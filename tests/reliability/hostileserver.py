"""An HTTP server on 127.0.0.1 that answers like a hostile or overloaded endpoint.

Next to :mod:`tests.reliability.faultserver` (cut-off answers, resets), this
one sends what costs the client memory, time or its terminal. The customer's
message (``content``) picks the behaviour:

* ``endless``: a 200 whose chunked body never ends (until :data:`BOUND` bytes);
* ``huge-length``: announces 2 GB in ``Content-Length``, then sends lazily;
* ``gzip-bomb``: a gzip body of about 4 MB that unpacks to 4 GB;
* ``deep-json``: 200 KB of JSON nested 100,000 levels deep;
* ``big``: a valid answer whose reply is 600 KB long;
* ``escapes``: a valid answer whose reply holds terminal escapes and separators;
* ``slow``: answers only after :data:`SLOW` seconds (or never, if the client leaves);
* anything else: a proper answer.

Every body is generated as it is sent and stops at :data:`BOUND` bytes or when
the client hangs up, so a test never holds gigabytes itself. Each customer gets
its own session (``sess-<customer>``); support calls answer properly, except
``close`` of a session whose customer ends in ``-stuck``, which never answers.
What was asked, closed and sent is counted for the tests.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.reliability.faultserver import _read_request
from tests.threaded_server import serve_in_thread

BOUND = 4 * 1024**3  # the most any body sends, whatever the client does
SLOW = 120.0
CHUNK = 64 * 1024
ESCAPES = ("\x1b[2J\x1b[31mred\x1b[0m|\x1b]0;owned\x07|\r|\x85|\u2028|\u2029|"
           "\u202eevil|\x9b31m|\ud800")


@dataclass
class HostileServer:
    url: str = ""
    seen: Counter[str] = field(default_factory=Counter)  # content, or support:<command>
    sent: Counter[str] = field(default_factory=Counter)  # body bytes sent, by content
    closed: list[str] = field(default_factory=list)  # sessions closed with `close`


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"HTTP/1.1 {status} Status\r\n{lines}\r\n".encode()


def _ok(data: dict[str, object]) -> bytes:
    # ensure_ascii: a lone surrogate in a reply can only travel as a JSON escape.
    body = json.dumps({"success": True, "data": data}).encode()
    return _head(200, {"Content-Type": "application/json",
                       "Content-Length": str(len(body))}) + body


def _inbound(customer: str, reply: str) -> bytes:
    return _ok({"session_id": f"sess-{customer}", "reply": reply, "state": "default",
                "mode": "ai", "help_requested": False})


def _filler() -> Iterator[bytes]:
    """A JSON answer that never gets to its end."""
    yield b'{"success": true, "data": {"reply": "'
    while True:
        yield b"a" * CHUNK


def _bomb() -> Iterator[bytes]:
    """gzip of 4 GB of zeros, one flushed (hence identical) 1 MB block at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    yield packer.compress(b"")
    block = packer.compress(bytes(1024**2)) + packer.flush(zlib.Z_FULL_FLUSH)
    for _ in range(4096):
        yield block


async def _send_lazily(server: HostileServer, content: str, writer: asyncio.StreamWriter,
                       parts: Iterator[bytes], *, chunked: bool) -> None:
    """Write ``parts`` until they end, :data:`BOUND` is reached or the client leaves."""
    for part in parts:
        if server.sent[content] >= BOUND:
            break
        writer.write(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
        server.sent[content] += len(part)
        await writer.drain()  # raises once the client has hung up
    if chunked:
        writer.write(b"0\r\n\r\n")
        await writer.drain()


async def _answer(server: HostileServer, content: str, customer: str,
                  reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    """Answer one inbound call; False when the connection cannot be used again."""
    json_head = {"Content-Type": "application/json"}
    if content == "endless":
        writer.write(_head(200, {**json_head, "Transfer-Encoding": "chunked"}))
        await _send_lazily(server, content, writer, _filler(), chunked=True)
        return False
    if content == "huge-length":
        writer.write(_head(200, {**json_head, "Content-Length": str(2 * 1024**3)}))
        await _send_lazily(server, content, writer, _filler(), chunked=False)
        return False
    if content == "gzip-bomb":
        writer.write(_head(200, {**json_head, "Content-Encoding": "gzip",
                                 "Transfer-Encoding": "chunked"}))
        await _send_lazily(server, content, writer, _bomb(), chunked=True)
        return False
    if content == "deep-json":
        body = b"[" * 100_000 + b"]" * 100_000
        writer.write(_head(200, {**json_head, "Content-Length": str(len(body))}) + body)
    elif content == "big":
        writer.write(_inbound(customer, "b" * 600 * 1024))
    elif content == "escapes":
        writer.write(_inbound(customer, ESCAPES))
    elif content == "slow":
        await _wait_or_leave(reader, writer, SLOW)
        writer.write(_inbound(customer, "sorry, that took a while"))
    else:
        writer.write(_inbound(customer, f"ok: {content}"))
    await writer.drain()
    return True


async def _wait_or_leave(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                         seconds: float) -> None:
    """Sleep, but notice a client that gave up (so the test server never piles up)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if reader.at_eof() or writer.transport.is_closing():
            raise ConnectionResetError
        await asyncio.sleep(0.05)


async def _serve(server: HostileServer, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            request = await _read_request(reader)
            if request is None:
                return
            path, body = request
            if path.endswith("/support"):
                command = str(body.get("command"))
                session = path.split("/")[-2]
                server.seen[f"support:{command}"] += 1
                if command == "close" and session.endswith("-stuck"):
                    await _wait_or_leave(reader, writer, SLOW)
                if command == "close":
                    server.closed.append(session)
                writer.write(_ok({"state": "closed" if command == "close" else "ok",
                                  "session_id": session, "command": command}))
                await writer.drain()
                continue
            content = str(body.get("content"))
            server.seen[content] += 1
            if not await _answer(server, content, str(body.get("customer_id")), reader,
                                 writer):
                return
    except (ConnectionError, asyncio.IncompleteReadError):
        return
    finally:
        if not writer.transport.is_closing():
            writer.close()


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    """Serve on a free port of 127.0.0.1 from a background thread."""
    state = HostileServer()
    with serve_in_thread(lambda r, w: _serve(state, r, w), "hostile server") as url:
        state.url = url
        yield state
