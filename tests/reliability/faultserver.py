"""A tiny HTTP server for the faults the mock cannot produce.

The mock always answers with whole, well-formed messages; a real network and a
real gateway do not. This server speaks just enough HTTP/1.1 on 127.0.0.1 to
misbehave on cue. The customer's message (``content``) picks the behaviour:

* ``truncate``: announces 400 bytes of JSON, sends 40, closes the connection;
* ``reset``: reads the request, then resets the connection (TCP RST);
* ``cut-json``: a complete 200 whose body is JSON cut off mid-field;
* ``drift``: valid JSON that breaks the contract (``data.reply`` is a number);
* ``html-200``: a 200 with an HTML page instead of JSON;
* anything else: a proper answer, session ``raw-session-1``.

Support calls answer ``close`` properly, so cleanup works. Every request is
counted by its content (or ``support:<command>``), so a test can prove that a
message was sent exactly once.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.threaded_server import serve_in_thread

SESSION = "raw-session-1"


@dataclass
class FaultServer:
    url: str = ""
    seen: Counter[str] = field(default_factory=Counter)


def _answer(status: int, body: bytes, content_type: str = "application/json",
            length: int | None = None) -> bytes:
    reason = {200: "OK", 404: "Not Found"}.get(status, "Status")
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body) if length is None else length}\r\n\r\n")
    return head.encode() + body


def _ok(data: dict[str, object]) -> bytes:
    return _answer(200, json.dumps({"success": True, "data": data}).encode())


def _inbound_data(reply: object) -> dict[str, object]:
    return {"session_id": SESSION, "reply": reply, "state": "default", "mode": "ai",
            "help_requested": False}


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, object]] | None:
    line = await reader.readline()
    if not line:
        return None
    path = line.split()[1].decode()
    length = 0
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b""):
            break
        name, _, value = header.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = json.loads(await reader.readexactly(length)) if length else {}
    return path, body if isinstance(body, dict) else {}


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    # Linger 0: close() sends RST instead of FIN.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _serve(server: FaultServer, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            request = await _read_request(reader)
            if request is None:
                return
            path, body = request
            if path.endswith("/support"):
                command = str(body.get("command"))
                server.seen[f"support:{command}"] += 1
                writer.write(_ok({"state": "ok", "session_id": SESSION, "command": command}))
                await writer.drain()
                continue
            content = str(body.get("content"))
            server.seen[content] += 1
            if content == "truncate":
                writer.write(_answer(200, b'{"success": true, "data": {"session_id": "raw-se',
                                     length=400))
                await writer.drain()
                writer.close()
                return
            if content == "reset":
                _reset(writer)
                return
            if content == "cut-json":
                writer.write(_answer(200, b'{"success": true, "data": {"session_id": "raw-se'))
            elif content == "drift":
                writer.write(_ok(_inbound_data(5)))
            elif content == "html-200":
                writer.write(_answer(200, b"<html><body>Maintenance</body></html>", "text/html"))
            else:
                writer.write(_ok(_inbound_data(f"ok: {content}")))
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        return
    finally:
        if not writer.transport.is_closing():
            writer.close()


@contextmanager
def fault_server() -> Iterator[FaultServer]:
    """Serve on a free port of 127.0.0.1 from a background thread."""
    state = FaultServer()
    with serve_in_thread(lambda r, w: _serve(state, r, w), "fault server") as url:
        state.url = url
        yield state
