"""One client for OpenAI-compatible chat-completions endpoints: the judge's (and simulators').

Written for what such servers really do (OpenAI, Azure OpenAI, vLLM, Ollama,
llama.cpp):

- The URL may be a base (``…/v1``), the full endpoint, or Azure's deployment
  URL with its ``?api-version=…`` query: ``/chat/completions`` goes before the
  query. Credentials in the URL (``https://user:key@host/v1``) are taken out
  and sent as the key (``Authorization: Bearer``, plus ``api-key`` on Azure),
  never as Basic auth; the key never appears in a message from here.
- Structured output is asked for with ``response_format`` (a JSON schema); a
  server that refuses it with a 400 is asked again without, and not again
  with it for the rest of the run. The caller's ``parse`` is tolerant anyway.
- 429, 5xx, timeouts and refused connections are retried with exponential
  backoff, honouring ``Retry-After`` up to :data:`MAX_RETRY_AFTER`; at most
  :data:`RETRIES` times. An answer larger than the cap is refused unread.
- Answers are kept in the run's :class:`~runner.judging.llm_cache.LLMCache`
  and counted (:class:`~runner.judging.usage.CallUsage`).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from runner.core.errors import RunnerError
from runner.core.redact import Redactor
from runner.core.text import flat, shorten
from runner.judging.llm_cache import LLMCache, request_key
from runner.judging.llm_rate import CallLimiter
from runner.judging.usage import CallUsage, Prices

COMPLETIONS = "/chat/completions"
AZURE_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")
RETRIES = 2  # after the first attempt
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF = 0.5  # seconds before the first retry; doubles each time (with jitter)
MAX_BACKOFF = 8.0
MAX_RETRY_AFTER = 30.0  # a server asking for a longer pause is not waited for
MAX_RESPONSE = 2 * 1024 * 1024  # bytes: a chat completion is a few kB
T = TypeVar("T")


class LLMError(RunnerError):
    """The model could not be asked, or its answer was unusable; one line, no secret.

    ``usage``: what the call cost when an answer came but could not be used.
    """

    def __init__(self, message: str, usage: CallUsage | None = None) -> None:
        super().__init__(message)
        self.usage = usage


@dataclass(frozen=True)
class Endpoint:
    url: str  # the chat-completions URL, credentials taken out, query kept
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 30.0

    @property
    def azure(self) -> bool:
        return httpx.URL(self.url).host.endswith(AZURE_HOSTS)

    @property
    def shown_url(self) -> str:
        """Safe to print: no credentials, no query (a key may hide there too)."""
        return str(httpx.URL(self.url).copy_with(query=None, fragment=None))


def chat_url(url: str) -> str:
    """``/chat/completions`` added to the path (before any query); credentials taken out."""
    parsed = httpx.URL(url)
    path = parsed.path.rstrip("/")
    if not path.endswith(COMPLETIONS):
        path += COMPLETIONS
    return str(parsed.copy_with(username=None, password=None, path=path, fragment=None))


def url_key(url: str) -> str | None:
    """The key written into the URL: its password, or a user name alone (``https://KEY@host``)."""
    parsed = httpx.URL(url)
    return parsed.password or parsed.username or None


def make_endpoint(url: str, model: str, *, api_key: str | None = None,
                  timeout: float = 30.0) -> Endpoint:
    """The endpoint for a user's URL; ``api_key`` wins over credentials in the URL."""
    return Endpoint(chat_url(url), model, api_key or url_key(url), timeout)


def request_headers(endpoint: Endpoint) -> dict[str, str]:
    """The key as a bearer token (and as ``api-key`` on Azure); never Basic auth."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
        if endpoint.azure:
            headers["api-key"] = endpoint.api_key
    return headers


def retry_after(value: str | None) -> float | None:
    """A Retry-After header in seconds: a number of seconds or an HTTP date."""
    if value is None:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _short(text: str, limit: int = 160) -> str:
    return shorten(flat(text), limit)


def error_text(body: bytes) -> str:
    """The server's own words: OpenAI ``{"error": {"message"}}``, Ollama ``{"error": "…"}``,
    vLLM ``{"message"}``, or the start of whatever else came."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return _short(text)
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            code = error.get("code") or error.get("type")
            return _short(f"{code}: {error['message']}" if isinstance(code, str)
                          else error["message"])
        if isinstance(error, str):
            return _short(error)
        if isinstance(data.get("message"), str):
            return _short(data["message"])
    return _short(text)


def _usage(usage: Any, prices: Prices | None, *, cached: bool) -> CallUsage:
    """An answer's ``usage`` block (prompt and completion tokens), priced; nothing if absent."""
    if not isinstance(usage, dict):
        return CallUsage(cached=cached)
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    prompt = prompt if isinstance(prompt, int) and not isinstance(prompt, bool) else None
    completion = (completion if isinstance(completion, int)
                  and not isinstance(completion, bool) else None)
    cost = (prices.cost(prompt or 0, completion or 0)
            if prices is not None and (prompt is not None or completion is not None)
            and not cached else None)
    return CallUsage(prompt, completion, cached=cached, cost=cost)


@dataclass
class _Answer:
    status: int
    body: bytes
    retry_after: float | None = None


class _TooLarge(Exception):
    pass


class LLMClient:
    """Asks one endpoint; shared by every scenario of a run (its cache and what it learnt).

    Holds no connection between calls: scenarios may run in event loops of their own.
    """

    def __init__(self, endpoint: Endpoint, *, cache: LLMCache | None = None,
                 prices: Prices | None = None, name: str = "the LLM",
                 redactor: Redactor | None = None, max_response: int = MAX_RESPONSE,
                 limiter: CallLimiter | None = None) -> None:
        self.endpoint = endpoint
        self.limiter = limiter  # --osvi-llm-rate: every request sent waits on it
        self.cache = cache if cache is not None else LLMCache()
        self.prices = prices
        self.name = name
        self.redactor = redactor
        self.max_response = max_response
        self.schema_refused = False  # the server said no to response_format: stop asking
        self._tls: ssl.SSLContext | None = None  # built once: loading the CAs takes ~40 ms
        self._in_flight: dict[tuple[int, str], asyncio.Future[dict[str, Any]]] = {}

    def _redact(self, text: str) -> str:
        return self.redactor.redact(text) if self.redactor else text

    async def complete(self, messages: Sequence[Mapping[str, str]], parse: Callable[[str], T], *,
                       schema: Mapping[str, Any] | None = None,
                       schema_name: str = "answer",
                       name: str | None = None) -> tuple[T, CallUsage]:
        """``parse`` of the answer's text, and what the call used.

        An answer ``parse`` refuses (raising :class:`LLMError`) is not kept in the
        cache; the error carries the call's usage, since it was paid for.
        ``name``: who asks, as errors say it (a simulator is not "the judge").
        """
        sent = [{"role": m["role"], "content": self._redact(m["content"])} for m in messages]
        request: dict[str, Any] = {"model": self.endpoint.model, "messages": sent,
                                   "temperature": 0}
        if schema is not None:
            request["response_format"] = {"type": "json_schema", "json_schema": {
                "name": schema_name, "strict": True, "schema": dict(schema)}}
        key = request_key(request)
        answer, cached = await self._answer(key, request, name or self.name)
        usage = _usage(answer.get("usage"), self.prices, cached=cached)
        try:
            value = parse(answer["content"])
        except LLMError as error:
            self.cache.forget(key)
            error.usage = usage
            raise
        if not cached:
            self.cache.put(key, request, answer)
        return value, usage

    async def _answer(self, key: str, request: dict[str, Any],
                      name: str) -> tuple[dict[str, Any], bool]:
        """The answer's ``content`` and ``usage``, and whether it cost nothing."""
        found = self.cache.get(key)
        if found is not None:
            return found, True
        if self.cache.replay:
            raise LLMError(self._redact(
                f"--osvi-llm-cache-mode replay: no answer in the cache for this question to "
                f"{name} (model {self.endpoint.model}, key {key[:12]}): "
                f"{_short(request['messages'][-1]['content'], 200)!r}"))
        # The same question asked twice at once (scenarios side by side) is sent once.
        flight = (id(asyncio.get_running_loop()), key)
        waiting = self._in_flight.get(flight) if self.cache.reads else None  # `off`: always ask
        if waiting is not None:
            try:
                return await asyncio.shield(waiting), True
            except asyncio.CancelledError:
                if not waiting.cancelled():
                    raise  # this scenario was cancelled, not the one asking
                # The one asking was (a time limit): ask for this scenario instead.
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._in_flight[flight] = future
        try:
            answer = await self._ask(request, name)
            future.set_result(answer)
            return answer, False
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as error:
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            if self._in_flight.get(flight) is future:
                del self._in_flight[flight]

    async def _ask(self, request: dict[str, Any], name: str) -> dict[str, Any]:
        body = dict(request)
        if self.schema_refused:
            body.pop("response_format", None)
        answer = await self._post_with_retries(body, name)
        if answer.status in (400, 422) and "response_format" in body:
            # vLLM, llama.cpp and older servers refuse json_schema: ask plainly, and if
            # that works, never with it again in this run.
            body.pop("response_format")
            answer = await self._post_with_retries(body, name)
            self.schema_refused = answer.status == 200
        if answer.status != 200:
            raise LLMError(self._redact(
                f"{name} at {self.endpoint.shown_url} answered HTTP {answer.status}: "
                f"{error_text(answer.body)}"))
        return self._content(answer.body, name)

    def _content(self, body: bytes, name: str) -> dict[str, Any]:
        where = self.endpoint.shown_url
        try:
            data = json.loads(body)
            message = data["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMError(self._redact(
                f"{name} at {where} did not answer like a chat-completions API: "
                f"{_short(body.decode('utf-8', 'replace'))!r}")) from None
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            raise LLMError(f"{name} at {where} sent no message content")
        usage = data.get("usage") if isinstance(data, dict) else None
        return {"content": self._redact(content),
                "usage": usage if isinstance(usage, dict) else None}

    async def _post_with_retries(self, body: dict[str, Any], name: str) -> _Answer:
        where = self.endpoint.shown_url
        timeout = self.endpoint.timeout
        for attempt in range(RETRIES + 1):
            last = attempt == RETRIES
            if self.limiter is not None:
                await self.limiter.acquire()
            try:
                answer = await self._post(body)
            except httpx.TimeoutException:
                if last:
                    raise LLMError(f"no answer from {name} at {where} within {timeout:g}s "
                                   f"({attempt + 1} attempts)") from None
                await asyncio.sleep(_backoff(attempt))
                continue
            except httpx.ConnectError:
                if last:
                    raise LLMError(f"could not connect to {name} at {where} "
                                   f"({attempt + 1} attempts)") from None
                await asyncio.sleep(_backoff(attempt))
                continue
            except _TooLarge:
                raise LLMError(f"the answer of {name} at {where} is larger than "
                               f"{self.max_response // 1024} kB; it was not read") from None
            except httpx.HTTPError as error:
                raise LLMError(f"the request to {name} at {where} failed: "
                               f"{type(error).__name__}") from None
            if answer.status not in RETRY_STATUSES or last:
                return answer
            wait = answer.retry_after if answer.retry_after is not None else _backoff(attempt)
            if wait > MAX_RETRY_AFTER:
                raise LLMError(self._redact(
                    f"{name} at {where} answered HTTP {answer.status} and asked to come "
                    f"back in {wait:.0f}s, longer than the {MAX_RETRY_AFTER:.0f}s the runner "
                    f"waits: {error_text(answer.body)}"))
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _post(self, body: dict[str, Any]) -> _Answer:
        if self._tls is None:
            self._tls = httpx.create_ssl_context()
        async with httpx.AsyncClient(timeout=self.endpoint.timeout, verify=self._tls) as http, \
                http.stream("POST", self.endpoint.url, json=body,
                            headers=request_headers(self.endpoint)) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_response:
                raise _TooLarge
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():  # decoded: a gzip bomb is capped too
                size += len(chunk)
                if size > self.max_response:
                    raise _TooLarge
                chunks.append(chunk)
            return _Answer(response.status_code, b"".join(chunks),
                           retry_after(response.headers.get("retry-after")))


def _backoff(attempt: int) -> float:
    """Exponential with jitter: many scenarios retrying at once do not all come back together."""
    return min(MAX_BACKOFF, BACKOFF * 2.0 ** attempt) * random.uniform(0.75, 1.25)
