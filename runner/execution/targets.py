"""Where scenarios run: the embedded mock (default) or a live OSVI API.

A target opens a :class:`Connection` per scenario. Each embedded-mock scenario
gets its own engine and clock, so scenarios never share state and can later
run concurrently in one event loop.

A target also says what happens to the sessions a scenario opened: the
embedded mock's vanish with its engine; a live API's are closed when the
scenario ends (see :mod:`runner.execution.hygiene`), unless the run keeps them.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.request import getproxies

import httpx

from runner import EMBEDDED_MOCK_TOKEN, __version__
from runner.execution.answer_limits import DEFAULT_MAX_RESPONSE
from runner.execution.client import DEFAULT_RETRIES, OsviClient, public_url
from runner.execution.lean_transport import LeanTransport
from runner.execution.open_sessions import OpenSessions
from runner.execution.ratelimit import TokenBucket
from runner.language.durations import format_duration

if TYPE_CHECKING:
    from runner.mock import Engine

USER_AGENT = f"osvi-scenarios/{__version__}"
DEFAULT_MOCK_AGENT = "agent_mock"

# "discard": the sessions go away with the target (the embedded mock);
# "close": close each one when its scenario ends; "keep": leave them open.
SessionPolicy = Literal["discard", "close", "keep"]

__all__ = ["DEFAULT_MOCK_AGENT", "Connection", "LiveTarget", "MockTarget", "SessionPolicy",
           "Target", "public_url"]


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
    sessions: SessionPolicy

    def connect(self, agent: str, mock: dict[str, Any] | None,
                others: Mapping[str, dict[str, Any] | None] | None = None) -> Any:
        """An async context manager yielding a :class:`Connection`. ``others``: more
        mock agents by uuid (a scenario's named ``agents:``; None: the demo agent),
        hosted beside ``agent`` on the embedded mock and ignored live."""
        ...

    async def aclose(self) -> None:
        """Close what the run kept open (connections), in the loop that opened it."""
        ...


class MockTarget:
    kind = "mock"
    label = "embedded mock"
    sessions: SessionPolicy = "discard"

    def __init__(self, *, timeout: float, contract: bool = True,
                 limiter: TokenBucket | None = None,
                 max_response: int = DEFAULT_MAX_RESPONSE) -> None:
        self._timeout = timeout
        self._contract = contract
        self._limiter = limiter
        self._max_response = max_response

    async def aclose(self) -> None:
        """Nothing outlives a scenario on the embedded mock."""

    @asynccontextmanager
    async def connect(self, agent: str, mock: dict[str, Any] | None,
                      others: Mapping[str, dict[str, Any] | None] | None = None,
                      ) -> AsyncIterator[Connection]:
        # Loaded here: a live run never builds the mock.
        from runner.mock import Engine, ManualClock, MockAgent, create_app, demo_agent_spec

        specs = {**(others or {}), agent: mock}  # the scenario's own agent wins a clash
        engine = Engine(agents={uuid: MockAgent.from_spec(spec if spec is not None
                                                          else demo_agent_spec())
                                for uuid, spec in specs.items()},
                        token=EMBEDDED_MOCK_TOKEN, clock=ManualClock())
        transport = httpx.ASGITransport(app=create_app(engine))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://osvi-mock",
            headers={"API-Token": EMBEDDED_MOCK_TOKEN, "User-Agent": USER_AGENT},
        ) as http:
            # No retries: the in-process mock has no connection to lose, and its
            # injected 429/503 faults are there to be seen.
            client = OsviClient(http, timeout=self._timeout, contract=self._contract,
                                label="the embedded mock", limiter=self._limiter,
                                max_response=self._max_response)
            yield _MockConnection(client, engine)


@cache
def _tls_context() -> ssl.SSLContext | bool:
    """httpx's default certificate checks, built once per process.

    Building them loads the CA bundle (about 30 ms); every live scenario opens
    its own client, so a per-client context would cost more than its requests.
    """
    make = getattr(httpx, "create_ssl_context", None)  # public from httpx 0.28
    return make() if make is not None else True


def _environment_proxies() -> bool:
    """Whether HTTP_PROXY, HTTPS_PROXY or ALL_PROXY (any case) is set, as httpx reads them."""
    return any(scheme in ("http", "https", "all") for scheme in getproxies())


class LiveTarget:
    kind = "live"

    def __init__(self, *, base_url: str, token: str, timeout: float, max_wait: float,
                 retries: int = DEFAULT_RETRIES, contract: bool = True,
                 keep_sessions: bool = False, limiter: TokenBucket | None = None,
                 max_response: int = DEFAULT_MAX_RESPONSE,
                 open_sessions: OpenSessions | None = None) -> None:
        self.label = public_url(base_url)
        self._max_response = max_response
        # Sessions kept open on purpose are not the summary's business.
        self._open_sessions = None if keep_sessions else open_sessions
        self._limiter = limiter
        self.sessions: SessionPolicy = "keep" if keep_sessions else "close"
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._max_wait = max_wait
        self._retries = retries
        self._contract = contract
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:  # never the token, whatever prints this object
        return f"LiveTarget({self.label!r})"

    def _http(self) -> httpx.AsyncClient:
        """The run's client for this API: one pool of connections for every scenario.

        A client belongs to the event loop it was made in; a run that gives each
        scenario a loop of its own gets a client per loop.
        """
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            proxied = _environment_proxies()
            # Plain http with no proxy never needs the CA bundle (about 30 ms to load).
            plain = self._base_url.startswith("http://") and not proxied
            tls = True if plain else _tls_context()
            self._client = httpx.AsyncClient(
                base_url=self._base_url,
                headers={"API-Token": self._token, "User-Agent": USER_AGENT,
                         "Content-Type": "application/json"},
                timeout=self._timeout,
                verify=tls,
                # The lean HTTP/1.1 path, verifying TLS with httpx's own context; where
                # that context cannot be had (httpx < 0.28), httpx's default transport.
                # httpx honours proxies from the environment only with its own transport,
                # so any proxy setting keeps that one, NO_PROXY rules and all.
                transport=(LeanTransport(ssl_context=None) if plain
                           else LeanTransport(ssl_context=tls)
                           if isinstance(tls, ssl.SSLContext) and not proxied
                           else None),
            )
            self._client_loop = loop
        return self._client

    async def aclose(self) -> None:
        """Close the run's connections (in the loop that opened them)."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    @asynccontextmanager
    async def connect(self, agent: str, mock: dict[str, Any] | None,
                      others: Mapping[str, dict[str, Any] | None] | None = None,
                      ) -> AsyncIterator[Connection]:
        client = OsviClient(self._http(), timeout=self._timeout, retries=self._retries,
                            contract=self._contract, label=self.label.rstrip("/"),
                            limiter=self._limiter, max_response=self._max_response,
                            on_answer=None if self._open_sessions is None
                            else self._open_sessions.observe)
        yield _LiveConnection(client, self._max_wait)
