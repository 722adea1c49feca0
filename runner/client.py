"""A thin async client for the three OSVI Chat v1 endpoints.

It records every exchange (request body, status, parsed body, timings) for the
transcript and reports; it never records headers, so the token cannot leak
through a recorded exchange.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import Any

import httpx

from runner.errors import RunnerError


@dataclass
class Exchange:
    """One request and its answer."""

    method: str
    path: str
    body: dict[str, Any]
    started: float = 0.0  # wall clock, seconds since the epoch
    elapsed: float = 0.0
    status: int | None = None
    data: Any = None  # the parsed JSON body, or None
    text: str = ""  # the raw body, for non-JSON answers

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def payload(self) -> dict[str, Any]:
        """The ``data`` object of a success answer (empty when absent)."""
        if isinstance(self.data, dict) and isinstance(self.data.get("data"), dict):
            return dict(self.data["data"])
        return {}

    @property
    def error_code(self) -> str | None:
        if isinstance(self.data, dict) and isinstance(self.data.get("error"), str):
            return str(self.data["error"])
        return None

    @property
    def upstream(self) -> dict[str, Any]:
        if isinstance(self.data, dict) and isinstance(self.data.get("upstream_body"), dict):
            return dict(self.data["upstream_body"])
        return {}

    def describe_error(self) -> str:
        """``HTTP 422 · error agent_archived · upstream state rejected, reason …``."""
        parts = [f"HTTP {self.status}"]
        if self.error_code:
            parts.append(f"error {self.error_code!r}")
        upstream = self.upstream
        if upstream:
            parts.append("upstream " + ", ".join(f"{k} {v}" for k, v in upstream.items()))
        if self.data is None and self.text:
            snippet = " ".join(self.text.split())[:120]
            parts.append(f"body (not JSON) {snippet!r}")
        return " · ".join(parts)


class TransportError(RunnerError):
    """The request got no HTTP answer (refused, timed out, reset)."""

    def __init__(self, message: str, exchange: Exchange) -> None:
        super().__init__(message)
        self.exchange = exchange


def _os_reason(error: BaseException) -> str:
    """The operating system's reason behind a connect failure, in plain words.

    httpx's own text differs between its sync and async paths ("All connection
    attempts failed"); the OSError at the bottom of the chain does not.
    """
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return "host name not found"
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror.lower()
        seen = seen.__cause__ or seen.__context__
    return str(error) or "connection failed"


def _cause(error: httpx.HTTPError, base_url: str, timeout: float) -> str:
    if isinstance(error, httpx.ConnectTimeout):
        return f"could not connect to {base_url} within {timeout:g}s (connect timeout)"
    if isinstance(error, httpx.TimeoutException):
        return f"no answer from {base_url} within {timeout:g}s ({type(error).__name__})"
    if isinstance(error, httpx.ConnectError):
        return f"could not connect to {base_url} ({_os_reason(error)})"
    if isinstance(error, httpx.RemoteProtocolError):
        return f"{base_url} broke the connection mid-answer ({error})"
    return f"request to {base_url} failed: {type(error).__name__}: {error}"


class OsviClient:
    def __init__(self, http: httpx.AsyncClient, *, timeout: float) -> None:
        self._http = http
        self._timeout = timeout

    async def _post(self, path: str, body: dict[str, Any]) -> Exchange:
        exchange = Exchange("POST", path, body, started=time.time())
        tick = time.perf_counter()
        try:
            response = await self._http.post(path, json=body, timeout=self._timeout)
            raw = await response.aread()
        except httpx.HTTPError as error:
            exchange.elapsed = time.perf_counter() - tick
            raise TransportError(_cause(error, str(self._http.base_url).rstrip("/"),
                                        self._timeout), exchange) from None
        exchange.elapsed = time.perf_counter() - tick
        exchange.status = response.status_code
        exchange.text = raw.decode("utf-8", errors="replace")
        try:
            exchange.data = json.loads(exchange.text) if exchange.text else None
        except ValueError:
            exchange.data = None
        return exchange

    async def inbound(self, agent: str, customer: str, content: str,
                      session_id: str | None = None) -> Exchange:
        body: dict[str, Any] = {"agent_uuid": agent, "customer_id": customer, "content": content}
        if session_id is not None:
            body["session_id"] = session_id
        return await self._post("/v1/chat/inbound", body)

    async def support(self, session_id: str, command: str | None,
                      message: str | None = None) -> Exchange:
        body: dict[str, Any] = {}
        if command is not None:
            body["command"] = command
        if message is not None:
            body["message"] = message
        return await self._post(f"/v1/chat/session/{session_id}/support", body)

    async def inject_context(self, session_id: str, context: str) -> Exchange:
        return await self._post(f"/v1/chat/session/{session_id}/inject_context",
                                {"context": context})
