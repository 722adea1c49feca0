"""A lean httpx transport: HTTP/1.1 over asyncio streams, with keep-alive.

httpx stays the client API; this replaces only httpcore's connection layer for
direct connections, where most of a request's cost went (measured in
``docs/performance.md``). It speaks plain HTTP/1.1 (no pipelining, no HTTP/2),
reuses idle connections per host, and verifies TLS with the SSL context it is
given (httpx's own default in this project). It is not used when the
environment names a proxy: httpx mounts proxies only with its own transport
(``LiveTarget``).

Errors map onto httpx's: a connection that cannot be opened is a
``ConnectError`` (nothing was sent, so the client may retry), a broken answer a
``RemoteProtocolError``, a timeout the matching ``*Timeout``.
"""

from __future__ import annotations

import asyncio
import select
import ssl
from collections.abc import AsyncIterator
from typing import Any

import httpx

from runner.execution.deadlines import within

# An answer's head (status line and headers) larger than this is not an OSVI answer.
MAX_HEAD = 64 * 1024
MAX_IDLE_PER_HOST = 32
_CHUNK = 64 * 1024

Key = tuple[str, str, int]


class _Connection:
    __slots__ = ("key", "reader", "writer")

    def __init__(self, key: Key, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.key = key
        self.reader = reader
        self.writer = writer

    @property
    def reusable(self) -> bool:
        if (self.writer.is_closing() or self.reader.at_eof()
                or len(getattr(self.reader, "_buffer", b"")) > 0):
            return False
        # A server that closes right after answering: its FIN may be in the kernel
        # before the loop has read it. An idle connection has nothing to say, so a
        # readable socket means it was closed (or broke): open a new one.
        sock = self.writer.get_extra_info("socket")
        if sock is None:
            return True
        try:
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    def close(self) -> None:
        self.writer.close()


def _timeout(request: httpx.Request, kind: str) -> float | None:
    value = request.extensions.get("timeout", {}).get(kind)
    return float(value) if value is not None else None


class _Body(httpx.AsyncByteStream):
    """The answer's body; hands the connection back once it has been read out."""

    def __init__(self, transport: LeanTransport, connection: _Connection,
                 length: int | None, chunked: bool, keep_alive: bool,
                 read_timeout: float | None) -> None:
        self._transport = transport
        self._connection = connection
        self._length = length
        self._chunked = chunked
        self._keep_alive = keep_alive
        self._read_timeout = read_timeout
        self._done = False

    async def _read(self, awaitable: Any) -> bytes:
        try:
            data: bytes = await within(awaitable, self._read_timeout)
        except asyncio.TimeoutError:
            raise httpx.ReadTimeout("the answer stopped arriving") from None
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as error:
            raise httpx.ReadError(f"the connection broke while reading: {error}") from None
        except asyncio.LimitOverrunError:
            raise httpx.RemoteProtocolError("an answer's chunk header is too long") from None
        return data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        reader = self._connection.reader
        if self._chunked:
            while True:
                line = await self._read(reader.readuntil(b"\r\n"))
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise httpx.RemoteProtocolError("an answer's chunk size is garbled") from None
                if size == 0:
                    while (await self._read(reader.readuntil(b"\r\n"))) != b"\r\n":
                        pass  # trailers: nothing the runner reads
                    break
                while size:
                    piece = await self._read(reader.read(min(size, _CHUNK)))
                    if not piece:
                        raise httpx.RemoteProtocolError("the answer ended inside a chunk")
                    size -= len(piece)
                    yield piece
                await self._read(reader.readexactly(2))
        elif self._length is not None:
            left = self._length
            while left:
                piece = await self._read(reader.read(min(left, _CHUNK)))
                if not piece:
                    raise httpx.RemoteProtocolError(
                        f"the server closed the connection after {self._length - left} of the "
                        f"{self._length} bytes its Content-Length announced")
                left -= len(piece)
                yield piece
        else:  # the body runs until the server closes the connection
            self._keep_alive = False
            while piece := await self._read(reader.read(_CHUNK)):
                yield piece
        self._done = True

    async def aclose(self) -> None:
        if self._done and self._keep_alive:
            self._transport._release(self._connection)
        else:  # not read out: what is left on the wire would garble the next answer
            self._connection.close()


class LeanTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over asyncio streams, idle connections kept per host."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl = ssl_context
        self._idle: dict[Key, list[_Connection]] = {}

    def _release(self, connection: _Connection) -> None:
        idle = self._idle.setdefault(connection.key, [])
        if len(idle) < MAX_IDLE_PER_HOST and connection.reusable:
            idle.append(connection)
        else:
            connection.close()

    async def _connect(self, request: httpx.Request, key: Key) -> _Connection:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            if connection.reusable:
                return connection
            connection.close()
        scheme, host, port = key
        context: ssl.SSLContext | None = None
        if scheme == "https":
            context = self._ssl or ssl.create_default_context()
        try:
            reader, writer = await within(
                asyncio.open_connection(host, port, ssl=context, limit=MAX_HEAD,
                                        server_hostname=host if context else None),
                _timeout(request, "connect"))
        except asyncio.TimeoutError:
            raise httpx.ConnectTimeout(f"no connection to {host}:{port}") from None
        except ssl.SSLError as error:
            raise httpx.ConnectError(f"TLS with {host}:{port} failed: {error}") from error
        except OSError as error:
            raise httpx.ConnectError(str(error) or type(error).__name__) from error
        return _Connection(key, reader, writer)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        key: Key = (url.scheme, url.host, port)
        body = request.content if isinstance(request.stream, httpx.ByteStream) else b"".join(
            [part async for part in request.stream])  # type: ignore[union-attr]
        head = [f"{request.method} {url.raw_path.decode('ascii')} HTTP/1.1\r\n".encode()]
        has_length = False
        for name, value in request.headers.raw:
            has_length = has_length or name.lower() == b"content-length"
            head.append(name + b": " + value + b"\r\n")
        if body and not has_length:
            head.append(b"Content-Length: " + str(len(body)).encode() + b"\r\n")
        head.append(b"\r\n")
        connection = await self._connect(request, key)
        try:
            connection.writer.write(b"".join(head) + body)
            if connection.writer.transport.get_write_buffer_size():  # else sent already
                await within(connection.writer.drain(), _timeout(request, "write"))
        except asyncio.TimeoutError:
            connection.close()
            raise httpx.WriteTimeout("the request could not be sent in time") from None
        except OSError as error:
            connection.close()
            raise httpx.WriteError(f"the connection broke while sending: {error}") from None
        try:
            return await self._answer(request, connection)
        except BaseException:
            connection.close()
            raise

    async def _answer(self, request: httpx.Request, connection: _Connection) -> httpx.Response:
        read_timeout = _timeout(request, "read")
        try:
            raw = await within(connection.reader.readuntil(b"\r\n\r\n"), read_timeout)
        except asyncio.TimeoutError:
            raise httpx.ReadTimeout("no answer in time") from None
        except asyncio.LimitOverrunError:
            raise httpx.RemoteProtocolError(
                f"the answer's headers are larger than {MAX_HEAD // 1024} KB") from None
        except asyncio.IncompleteReadError:
            raise httpx.RemoteProtocolError(
                "the server closed the connection without answering") from None
        except (ConnectionError, OSError) as error:
            raise httpx.ReadError(f"the connection broke: {error}") from None
        lines = raw[:-4].split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise httpx.RemoteProtocolError(f"not an HTTP answer: {lines[0][:60]!r}")
        status = int(parts[1])
        headers: list[tuple[bytes, bytes]] = []
        length: int | None = None
        chunked = False
        keep_alive = parts[0] == b"HTTP/1.1"
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                raise httpx.RemoteProtocolError("a garbled header line in the answer")
            value = value.strip()
            lower = name.strip().lower()
            headers.append((name.strip(), value))
            if lower == b"content-length":
                if not value.isdigit():
                    raise httpx.RemoteProtocolError("the answer's Content-Length is not a number")
                length = int(value)
            elif lower == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif lower == b"connection":
                keep_alive = b"close" not in value.lower() and (
                    keep_alive or b"keep-alive" in value.lower())
        if request.method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            length, chunked = 0, False
        stream = _Body(self, connection, length, chunked, keep_alive, read_timeout)
        reason = parts[2] if len(parts) > 2 else b""
        return httpx.Response(status, headers=headers, stream=stream,
                              extensions={"http_version": parts[0], "reason_phrase": reason})

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
