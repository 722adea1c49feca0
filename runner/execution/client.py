"""A thin async client for the three OSVI Chat v1 endpoints.

It records every exchange (request body, status, parsed body, timings) for the
transcript and reports; it never records request headers, so the token cannot
leak through a recorded exchange (the answer's headers are kept for ``expect``).

It also decides what a failed request means. A request is sent again only when
that cannot deliver a customer message twice: the connection failed before
anything was sent, or the API answered 429/503 with ``Retry-After`` (it did not
process the request and said when to come back). A read timeout, a reset after
sending or a 5xx may come after the platform already recorded the message and
ran the agent turn (send-message is not idempotent: it resolves or creates the
session and answers with the agent's reply), so those end the step instead.
Every retry is narrated, so the transcript shows what happened.

Answers are read as a stream within a size limit (``--osvi-max-response``)
and their JSON within a nesting limit (:mod:`runner.execution.answer_limits`): an
answer over either ends its step as unusable instead of taking the run down.
"""

from __future__ import annotations

import asyncio
import email.utils
import re
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from runner.core.errors import RunnerError
from runner.core.sizes import format_size
from runner.core.text import flat, shorten
from runner.execution.answer_limits import (
    DEFAULT_MAX_RESPONSE,
    AnswerTooLarge,
    TooDeep,
    parse_json,
    read_within,
)
from runner.execution.contract import contract_problem
from runner.execution.deadlines import within
from runner.execution.direct_send import DirectSender
from runner.execution.exchange import Exchange, seconds_text
from runner.execution.ratelimit import TokenBucket
from runner.execution.raw_request import RawCall
from runner.language.durations import format_duration

DEFAULT_RETRIES = 2
# The longest Retry-After the runner honours. A longer one ends the step: a
# nightly run should not sit idle for minutes on one request.
MAX_RETRY_AFTER = 30.0
_CONNECT_BACKOFF = (0.25, 0.5, 1.0, 2.0)  # seconds before connect retry 1, 2, 3, 4 and on
_RETRY_STATUSES = (429, 503)

Narrate = Callable[[str], None]


class TransportError(RunnerError):
    """The request got no usable answer: refused, timed out, reset, garbled."""

    def __init__(self, message: str, exchange: Exchange) -> None:
        super().__init__(message)
        self.exchange = exchange


class UnusableAnswer(TransportError):
    """An answer came, but cannot be judged: not JSON, or it breaks the API contract."""


class _NothingSent(Exception):
    """The connection failed before the request left: sending again is safe."""

    def __init__(self, cause: str) -> None:
        self.cause = cause


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


def _cause(error: Exception, where: str, timeout: float) -> str:
    limit = format_duration(timeout)
    if isinstance(error, httpx.ConnectTimeout):
        return f"could not connect to {where} within {limit} (connect timeout)"
    if isinstance(error, httpx.WriteTimeout):
        return f"could not finish sending the request to {where} within {limit}"
    if isinstance(error, httpx.PoolTimeout):
        return f"no free connection to {where} within {limit}"
    # httpx's read timeout and the client's own limit on the whole request (the
    # one that also bounds the in-process mock) mean the same to a reader.
    if isinstance(error, (httpx.TimeoutException, asyncio.TimeoutError)):
        return f"no answer from {where} within {limit} (--osvi-timeout)"
    if isinstance(error, httpx.ConnectError):
        return f"could not connect to {where} ({_os_reason(error)})"
    if isinstance(error, httpx.RemoteProtocolError):
        return f"{where} broke the connection mid-answer ({error or 'incomplete answer'})"
    if isinstance(error, httpx.ReadError):
        return f"{where} broke the connection mid-answer ({_os_reason(error)})"
    return f"request to {where} failed: {type(error).__name__}: {error}"


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None if unusable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are always GMT
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _json_problem(status: int, text: str) -> str | None:
    """Why a success answer's body is not usable JSON, or None when it is JSON."""
    if not text.strip():
        return f"the HTTP {status} answer has an empty body"
    try:
        parse_json(text)
    except TooDeep as error:
        return f"the HTTP {status} answer is not usable: {error}"
    except ValueError as error:
        stripped = text.strip()
        if not stripped.startswith(("{", "[")):
            snippet = shorten(flat(stripped), 80)
            return f"the HTTP {status} answer is not JSON: {snippet!r}"
        position = getattr(error, "pos", 0)
        cut = position >= len(text.rstrip()) or "Unterminated" in str(error)
        return (f"the HTTP {status} answer is not valid JSON ({getattr(error, 'msg', error)}: "
                f"character {position} of {len(text)}" + ("; it looks cut off)" if cut else ")"))
    return None


class OsviClient:
    """Sends the API calls of one scenario and records each as an :class:`Exchange`.

    ``timeout`` bounds each attempt, also on the in-process mock, whose ASGI
    transport ignores httpx's own timeouts. ``narrate`` receives one line per
    retry; the executor points it at the scenario's transcript.
    """

    def __init__(self, http: httpx.AsyncClient, *, timeout: float, retries: int = 0,
                 contract: bool = True, max_retry_after: float = MAX_RETRY_AFTER,
                 label: str | None = None, limiter: TokenBucket | None = None,
                 max_response: int = DEFAULT_MAX_RESPONSE,
                 on_answer: Callable[[Exchange], None] | None = None) -> None:
        self._http = http
        self._on_answer = on_answer  # told of every final answer (the run's open sessions)
        self._max_response = max_response
        self._limiter = limiter
        self._timeout = timeout
        self._retries = max(0, retries)
        self._contract = contract
        self._max_retry_after = max_retry_after
        self.label = label or public_url(str(http.base_url)).rstrip("/")
        self.narrate: Narrate = _ignore
        self._direct = DirectSender.for_client(http)

    async def _attempt(self, exchange: Exchange,
                       raw: RawCall | None = None) -> tuple[httpx.Response, bytes]:
        """Send once and read the answer; raise _NothingSent when the connection failed
        before sending."""
        if self._limiter is not None:
            # --osvi-rate: every attempt, retries included, is a request the API counts.
            # Taken before the clock starts: pacing is not the API's latency.
            await self._limiter.acquire()
        tick = time.perf_counter()
        try:
            # One limit for sending and reading: a body that trickles in forever is a timeout.
            return await within(self._send(exchange, raw), self._timeout)
        except AnswerTooLarge as error:
            raise UnusableAnswer(f"the HTTP {exchange.status} answer is larger than "
                                 f"{format_size(self._max_response)} (--osvi-max-response); "
                                 f"{error}", exchange) from None
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise _NothingSent(_cause(error, self.label, self._timeout)) from None
        except (httpx.HTTPError, httpx.InvalidURL, asyncio.TimeoutError) as error:
            raise TransportError(_cause(error, self.label, self._timeout), exchange) from None
        finally:
            exchange.elapsed = time.perf_counter() - tick

    async def _send(self, exchange: Exchange,
                    raw: RawCall | None = None) -> tuple[httpx.Response, bytes]:
        """The request as ``post`` would send it, its answer read within the size limit."""
        if raw is None and self._direct is not None:
            response = await self._direct.post(exchange.path, exchange.body, self._timeout)
        else:
            request = (raw.build(self._http, exchange, self._timeout) if raw is not None
                       else self._http.build_request("POST", exchange.path, json=exchange.body,
                                                     timeout=self._timeout))
            response = await self._http.send(request, stream=True)
        try:
            return response, await read_within(response, self._max_response)
        except AnswerTooLarge:
            exchange.status = response.status_code
            raise
        finally:
            await response.aclose()  # drops the connection when the body was not read out

    async def _post(self, path: str, body: dict[str, Any],
                    raw: RawCall | None = None) -> Exchange:
        retry = 0
        while True:
            method = raw.method if raw is not None else "POST"
            exchange = Exchange(method, path, body, started=time.time(), attempts=retry + 1)
            try:
                response, content = await self._attempt(exchange, raw)
            except _NothingSent as failure:
                if retry < self._retries:
                    retry += 1
                    delay = _CONNECT_BACKOFF[min(retry, len(_CONNECT_BACKOFF)) - 1]
                    self.narrate(f"{failure.cause}: nothing was sent; retry {retry} of "
                                 f"{self._retries} in {format_duration(delay)}")
                    await asyncio.sleep(delay)
                    continue
                after = f" after {retry + 1} attempts" if retry else ""
                raise TransportError(failure.cause + after, exchange) from None
            self._record(exchange, response, content)
            if exchange.status == 429 and exchange.retry_after and self._limiter is not None:
                self._limiter.hold(exchange.retry_after)  # the whole run waits, not this step only
            wait = exchange.retry_after
            if exchange.status in _RETRY_STATUSES and wait is not None:
                if retry < self._retries and wait <= self._max_retry_after:
                    retry += 1
                    self.narrate(f"HTTP {exchange.status}, Retry-After {seconds_text(wait)}: not "
                                 f"processed; retry {retry} of {self._retries} in "
                                 f"{seconds_text(wait)}")
                    await asyncio.sleep(wait)
                    continue
                if wait > self._max_retry_after:
                    self.narrate(f"HTTP {exchange.status}, Retry-After {seconds_text(wait)}: over "
                                 f"the {seconds_text(self._max_retry_after)} the runner waits; "
                                 "no retry")
            if self._on_answer is not None:
                # Before the checks: an answer that drifts still names the session it opened.
                self._on_answer(exchange)
            self._check(exchange, contract=raw is None)
            return exchange

    def _record(self, exchange: Exchange, response: httpx.Response, content: bytes) -> None:
        exchange.status = response.status_code
        exchange.text = content.decode("utf-8", errors="replace")
        exchange.retry_after = retry_after_seconds(response.headers.get("retry-after"))
        exchange.headers = {name.lower(): value for name, value in response.headers.items()}
        try:
            exchange.data = parse_json(exchange.text) if exchange.text else None
        except TooDeep as error:  # whatever the status: nothing may walk it
            raise UnusableAnswer(f"the HTTP {exchange.status} answer is not usable: {error}",
                                 exchange) from None
        except ValueError:
            exchange.data = None

    def _check(self, exchange: Exchange, *, contract: bool = True) -> None:
        """Refuse an answer that cannot be judged (a non-2xx one is judged as an error).

        ``contract=False`` for a raw request: its answer is checked as it came."""
        assert exchange.status is not None
        if exchange.ok and exchange.data is None and contract:
            problem = _json_problem(exchange.status, exchange.text)
            if problem:
                raise UnusableAnswer(problem, exchange)
        if self._contract and contract and exchange.data is not None:
            problem = contract_problem(exchange.method, exchange.path, exchange.status,
                                       exchange.data)
            if problem:
                raise UnusableAnswer(f"{problem} (HTTP {exchange.status} from "
                                     f"{exchange.method} {exchange.path})", exchange)

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
        return await self._post(_session_path(session_id, "support"), body)

    async def inject_context(self, session_id: str, context: str) -> Exchange:
        return await self._post(_session_path(session_id, "inject_context"),
                                {"context": context})

    async def raw(self, call: RawCall) -> Exchange:
        """A ``request:`` step's call: sent as written, with the same retries and limits,
        its answer not held to the API contract."""
        return await self._post(call.path, call.recorded_body(), call)


def _ignore(line: str) -> None:
    """The default narrator: nobody is listening."""


def public_url(url: str) -> str:
    """``url`` without user info or query, safe to print and store in reports."""
    try:
        parsed = httpx.URL(url)
        return str(parsed.copy_with(username=None, password=None, query=None, fragment=None))
    except (httpx.InvalidURL, ValueError, TypeError):
        # Not a URL httpx can parse: still drop whatever looks like credentials or a query.
        return re.sub(r"//[^/]*@", "//", re.split(r"[?#]", url, maxsplit=1)[0])


def _session_path(session_id: str, endpoint: str) -> str:
    # Quoted whole, so an odd id (a saved variable, a typo) cannot reach another path.
    return f"/v1/chat/session/{quote(session_id, safe='')}/{endpoint}"
