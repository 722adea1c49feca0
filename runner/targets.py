"""Where scenarios run: the embedded mock (default) or a live OSVI API.

A target opens a :class:`Connection` per scenario. Each embedded-mock scenario
gets its own engine and clock, so scenarios never share state and can later
run concurrently in one event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from runner import EMBEDDED_MOCK_TOKEN, __version__
from runner.client import OsviClient
from runner.durations import format_duration
from runner.mock import Engine, ManualClock, MockAgent, create_app, demo_agent_spec

USER_AGENT = f"osvi-scenarios/{__version__}"
DEFAULT_MOCK_AGENT = "agent_mock"


class Connection(Protocol):
    client: OsviClient

    async def wait(self, seconds: float) -> str:
        """Let ``seconds`` pass; returns how, for the transcript."""
        ...


@dataclass
class _MockConnection:
    client: OsviClient
    engine: Engine

    async def wait(self, seconds: float) -> str:
        self.engine.clock.advance(seconds)
        return f"{format_duration(seconds)} pass on the mock clock"


@dataclass
class _LiveConnection:
    client: OsviClient
    max_wait: float

    async def wait(self, seconds: float) -> str:
        slept = min(seconds, self.max_wait)
        await asyncio.sleep(slept)
        if slept < seconds:
            return (f"slept {format_duration(slept)} of {format_duration(seconds)} "
                    "(capped by --osvi-max-wait)")
        return f"slept {format_duration(slept)}"


class Target(Protocol):
    kind: str  # "mock" or "live"
    label: str  # for reports; never holds credentials

    def connect(self, agent: str, mock: dict[str, Any] | None) -> Any:
        """An async context manager yielding a :class:`Connection`."""
        ...


class MockTarget:
    kind = "mock"
    label = "embedded mock"

    def __init__(self, *, timeout: float) -> None:
        self._timeout = timeout

    @asynccontextmanager
    async def connect(self, agent: str, mock: dict[str, Any] | None) -> AsyncIterator[Connection]:
        spec = mock if mock is not None else demo_agent_spec()
        engine = Engine(agents={agent: MockAgent.from_spec(spec)}, token=EMBEDDED_MOCK_TOKEN,
                        clock=ManualClock())
        transport = httpx.ASGITransport(app=create_app(engine))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://osvi-mock",
            headers={"API-Token": EMBEDDED_MOCK_TOKEN, "User-Agent": USER_AGENT},
        ) as http:
            yield _MockConnection(OsviClient(http, timeout=self._timeout), engine)


class LiveTarget:
    kind = "live"

    def __init__(self, *, base_url: str, token: str, timeout: float, max_wait: float) -> None:
        self.label = public_url(base_url)
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._max_wait = max_wait

    @asynccontextmanager
    async def connect(self, agent: str, mock: dict[str, Any] | None) -> AsyncIterator[Connection]:
        async with httpx.AsyncClient(
            base_url=self._base_url,
            headers={"API-Token": self._token, "User-Agent": USER_AGENT,
                     "Content-Type": "application/json"},
            timeout=self._timeout,
        ) as http:
            yield _LiveConnection(OsviClient(http, timeout=self._timeout), self._max_wait)


def public_url(url: str) -> str:
    """``url`` without user info or query, safe to print and store in reports."""
    parsed = httpx.URL(url)
    return str(parsed.copy_with(username=None, password=None, query=None, fragment=None))
