"""The mock as a plain ASGI 3 application: routing, auth, JSON in and out.

No web framework: the API has five routes, and a hand-written router keeps a
request down to a dict lookup, one ``json.loads`` and one ``json.dumps``, which
is what lets one process carry a load test. Every answer is JSON in the API's
error shape, including 404, 405 and the 500 that would mean a bug here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from runner.mock.engine import Engine, MockAnswer, error

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
RequestLog = Callable[[str, str, int, float], None]

MAX_BODY = 1024 * 1024
_JSON = (b"content-type", b"application/json")
_log = logging.getLogger(__name__)

Handler = Callable[[Engine, str, dict[str, Any]], MockAnswer]


def _inbound(engine: Engine, _: str, body: dict[str, Any]) -> MockAnswer:
    return engine.inbound(body)


def _support(engine: Engine, session_id: str, body: dict[str, Any]) -> MockAnswer:
    return engine.support(session_id, body)


def _inject(engine: Engine, session_id: str, body: dict[str, Any]) -> MockAnswer:
    return engine.inject_context(session_id, body)


def _clock(engine: Engine, _: str, body: dict[str, Any]) -> MockAnswer:
    return engine.advance_clock(body)


def _support_unreadable(engine: Engine, session_id: str, reason: str) -> MockAnswer:
    return engine.support_unreadable(session_id, reason)


def _snapshot(engine: Engine, session_id: str, _: dict[str, Any]) -> MockAnswer:
    return engine.snapshot(session_id)


def _health(engine: Engine, _: str, __: dict[str, Any]) -> MockAnswer:
    data = {"status": "ok", "agents": sorted(engine.agents)}
    return MockAnswer(200, {"success": True, "data": data})


# Routes by shape: the session id is the one variable segment.
_FIXED: dict[str, dict[str, Handler]] = {
    "/v1/chat/inbound": {"POST": _inbound},
    "/_mock/clock": {"POST": _clock},
    "/_mock/health": {"GET": _health},
}
_SESSION: dict[str, dict[str, Handler]] = {
    "support": {"POST": _support},
    "inject_context": {"POST": _inject},
}
_SNAPSHOT: dict[str, Handler] = {"GET": _snapshot}
_PUBLIC = frozenset({_health})  # answers without a token, for readiness probes
# A body that is not a JSON object answers 400, except where the vendor documents
# no 400 (support): there the endpoint's own error says why.
_UNREADABLE: dict[Handler, Callable[[Engine, str, str], MockAnswer]] = {
    _support: _support_unreadable,
}


def _route(path: str) -> tuple[dict[str, Handler] | None, str]:
    fixed = _FIXED.get(path)
    if fixed is not None:
        return fixed, ""
    parts = path.split("/")
    # "", "v1", "chat", "session", "<id>", "support"
    if len(parts) == 6 and parts[1:4] == ["v1", "chat", "session"] and parts[4]:
        return _SESSION.get(parts[5]), parts[4]
    if len(parts) == 4 and parts[1:3] == ["_mock", "sessions"] and parts[3]:
        return _SNAPSHOT, parts[3]
    return None, ""


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


async def _read_body(receive: Receive) -> bytes | None:
    """The request body, or ``None`` when it is over :data:`MAX_BODY`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _decode(raw: bytes) -> dict[str, Any] | str:
    """The body's parameters, or why there are none (an error code)."""
    if not raw.strip():
        return {}  # no body is no parameters, as the API's framework treats it
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return "invalid_json"
    if not isinstance(body, dict):
        return "body_must_be_an_object"
    return body


async def _dispatch(engine: Engine, scope: Scope, receive: Receive) -> MockAnswer:
    method = scope["method"]
    routes, session_id = _route(scope["path"])
    if routes is None:
        return error(404, "not_found")
    handler = routes.get(method)
    if handler is None:
        allowed = ", ".join(routes)
        return MockAnswer(405, {"success": False, "error": "method_not_allowed"},
                       headers=(("allow", allowed),))
    if handler not in _PUBLIC and not engine.authorized(_header(scope, b"api-token")):
        return error(401, "unauthorized")
    if method != "POST":
        return handler(engine, session_id, {})
    raw = await _read_body(receive)
    if raw is None:
        return error(413, "body_too_large")
    body = _decode(raw)
    if isinstance(body, str):
        unreadable = _UNREADABLE.get(handler)
        return error(400, body) if unreadable is None else unreadable(engine, session_id, body)
    return handler(engine, session_id, body)


def _encode(outcome: MockAnswer) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    if outcome.raw is not None:
        content, headers = outcome.raw, []
    else:
        # ensure_ascii keeps lone surrogates from a client's JSON encodable.
        content = json.dumps(outcome.payload, separators=(",", ":"), default=str).encode()
        headers = [_JSON]
    for name, value in outcome.headers:
        key = name.lower().encode("latin-1")
        headers = [h for h in headers if h[0] != key]
        headers.append((key, value.encode("latin-1")))
    headers.append((b"content-length", str(len(content)).encode()))
    return content, headers


def create_app(engine: Engine, *, on_request: RequestLog | None = None) -> ASGIApp:
    """An ASGI 3 app serving ``engine``; ``on_request(method, path, status, ms)`` sees each."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # websockets: nothing to serve; the server closes the connection
        started = time.perf_counter()
        try:
            outcome = await _dispatch(engine, scope, receive)
            content, headers = _encode(outcome)
            if outcome.delay > 0:
                await asyncio.sleep(outcome.delay)
        except Exception:
            _log.exception("mock bug while answering %s %s", scope["method"], scope["path"])
            outcome = error(500, "internal_error")
            content, headers = _encode(outcome)
        await send({"type": "http.response.start", "status": outcome.status, "headers": headers})
        await send({"type": "http.response.body", "body": content})
        if on_request is not None:
            on_request(scope["method"], scope["path"], outcome.status,
                       (time.perf_counter() - started) * 1000)

    return app


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
