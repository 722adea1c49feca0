"""Keeping idle and slow connections from starving ``osvi-mock serve``.

uvicorn closes a connection that stays quiet after an answer (keep-alive), but
not one that never finishes its first request: thousands of such connections
use up the process's file descriptors, after which no real request gets in and
asyncio logs a traceback for every refused accept. Two rules prevent that:

- **read timeout**: a connection has ``read_timeout`` seconds, from connecting
  or from its previous answer, to deliver a whole request; then it is closed.
  It may send at most :data:`MAX_REQUEST_BYTES` meanwhile (uvicorn's fast
  parser has no limit of its own on the request head).
- **connection cap**: when more than ``max_connections`` are open, the oldest
  ones still waiting for a request are closed, so a new client always gets in.

A connection whose request is being answered is never closed by either rule.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

LISTEN_BACKLOG = 100  # asyncio accepts up to this many sockets at once (asyncio's default)
# asyncio may accept a few such batches before the first of them is set up (and
# counted); beyond those: log files, the agents file, sockets opened while serving.
_SPARE_FILES = 3 * LISTEN_BACKLOG + 64
DEFAULT_READ_TIMEOUT = 10.0
MAX_REQUEST_BYTES = 1024 * 1024 + 64 * 1024  # the largest body the app reads, plus a head
_CAP_CEILING = 4096


def default_max_connections() -> int:
    """As many connections as the file descriptor limit leaves room for (at most 4096)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return _CAP_CEILING
    return max(16, min(_CAP_CEILING, soft - _SPARE_FILES))


@dataclass
class ConnectionGuard:
    """The connections of one server, oldest first, and the limits they are held to."""

    max_connections: int
    read_timeout: float = DEFAULT_READ_TIMEOUT
    _open: OrderedDict[Any, None] = field(default_factory=OrderedDict)

    def opened(self, connection: Any) -> None:
        self._open[connection] = None
        if len(self._open) > self.max_connections:
            self._close_waiting(len(self._open) - self.max_connections)

    def closed(self, connection: Any) -> None:
        self._open.pop(connection, None)

    def _close_waiting(self, count: int) -> None:
        for connection in list(self._open):
            if count <= 0:
                return
            if waiting_for_request(connection):
                self._open.pop(connection, None)
                connection.transport.close()
                count -= 1


def waiting_for_request(connection: Any) -> bool:
    """Whether the connection owes us (part of) a request, rather than awaiting an answer."""
    cycle = connection.cycle
    return bool(cycle is None or cycle.response_complete or cycle.more_body)


def guarded_protocol(base: type[asyncio.Protocol], guard: ConnectionGuard) -> type[Any]:
    """``base`` (one of uvicorn's HTTP protocols) held to ``guard``'s rules."""

    class GuardedProtocol(base):  # type: ignore[valid-type,misc]
        _read_timer: asyncio.TimerHandle | None = None
        _received = 0  # bytes of the request being read

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            self._arm()
            guard.opened(self)

        def connection_lost(self, exc: Exception | None) -> None:
            guard.closed(self)
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            self._received += len(data)
            if self._received > MAX_REQUEST_BYTES and waiting_for_request(self):
                self.transport.close()
                return
            super().data_received(data)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()  # the next request gets the same time to arrive

        def _arm(self) -> None:
            self._disarm()
            self._received = 0
            if not self.transport.is_closing():
                self._read_timer = self.loop.call_later(guard.read_timeout, self._read_timed_out)

        def _disarm(self) -> None:
            if self._read_timer is not None:
                self._read_timer.cancel()
                self._read_timer = None

        def _read_timed_out(self) -> None:
            self._read_timer = None
            if waiting_for_request(self) and not self.transport.is_closing():
                self.transport.close()

    return GuardedProtocol


class QuietRepeats(logging.Filter):
    """At most one line per ``interval`` for each noisy message, without its traceback.

    A flood of refused accepts or bad requests would otherwise log one traceback
    or warning per event: megabytes a second.
    """

    NOISY = ("socket.accept() out of system resource",
             "Exception in callback BaseSelectorEventLoop._start_serving",
             "Invalid HTTP request received.", "Exceeded concurrency limit.")

    def __init__(self, interval: float = 10.0) -> None:
        super().__init__()
        self.interval = interval
        self._last: dict[str, float] = {}
        self._dropped: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        noisy = next((n for n in self.NOISY if message.startswith(n)), None)
        if noisy is None:
            return True
        now = time.monotonic()
        if now - self._last.get(noisy, -self.interval) < self.interval:
            self._dropped[noisy] = self._dropped.get(noisy, 0) + 1
            return False
        self._last[noisy] = now
        dropped = self._dropped.pop(noisy, 0)
        record.msg = noisy + (f" ({dropped} more like it not shown)" if dropped else "")
        record.args = None
        record.exc_info = None
        record.exc_text = None
        return True


def quiet_repeats(*loggers: str, interval: float = 10.0) -> QuietRepeats:
    """Install one :class:`QuietRepeats` on each named logger."""
    quiet = QuietRepeats(interval)
    for name in loggers:
        logging.getLogger(name).addFilter(quiet)
    return quiet
