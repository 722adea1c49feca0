"""A fake OpenAI-compatible chat-completions server on 127.0.0.1, scripted per test.

It answers the way the servers a judge may sit behind do, their errors included:

- OpenAI / Azure OpenAI: ``{"error": {"message", "type", "code"}}``, 429 with
  ``Retry-After``, 503 when overloaded; Azure's deployment path and
  ``?api-version=`` query are recorded like any other.
- vLLM / llama.cpp (older builds): a 400 when ``response_format`` asks for a JSON
  schema they do not support (``json_schema=False``).
- Ollama / llama.cpp: a reply wrapped in ```json fences, no ``usage`` block,
  ``{"error": "…"}`` as a plain string.

``script`` is answered first, one reply per request; then ``respond`` makes the
answer from the request (by default a passing verdict).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

USAGE = {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}
VERDICT = {"score": 0.9, "pass": True, "reason": "The reply does what the criteria ask."}


@dataclass
class Reply:
    content: str | None = None  # the message content; None: ask `respond`
    status: int = 200
    error: Any = None  # the JSON body of an error answer
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a timeout test)
    usage: dict[str, int] | None = field(default_factory=lambda: dict(USAGE))
    raw: bytes | None = None  # the whole body, as is


def openai_error(status: int, message: str, type_: str, code: str | None = None,
                 headers: dict[str, str] | None = None) -> Reply:
    return Reply(status=status, error={"error": {"message": message, "type": type_,
                                                 "param": None, "code": code}},
                 headers=headers or {})


def rate_limited(retry_after: str = "1") -> Reply:
    return openai_error(429, "Rate limit reached for requests", "requests",
                        "rate_limit_exceeded", {"Retry-After": retry_after})


def unavailable() -> Reply:
    return openai_error(503, "The server is overloaded or not ready yet.", "server_error")


def fenced(value: Any) -> str:
    return f"```json\n{json.dumps(value, indent=2)}\n```"


@dataclass
class Seen:
    path: str
    query: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def user(self) -> str:
        """The last user message: what the judge was asked."""
        return str([m for m in self.body["messages"] if m["role"] == "user"][-1]["content"])


@dataclass
class FakeLLM:
    url: str = ""  # base URL, ending in /v1
    origin: str = ""  # http://127.0.0.1:PORT
    json_schema: bool = True  # False: refuse response_format json_schema, as vLLM/llama.cpp
    script: list[Reply] = field(default_factory=list)
    respond: Callable[[Seen], str] = lambda seen: json.dumps(VERDICT)
    usage: dict[str, int] | None = field(default_factory=lambda: dict(USAGE))
    requests: list[Seen] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, seen: Seen) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append(seen)
            reply = self.script.pop(0) if self.script else None
        if reply is None and not self.json_schema and "response_format" in seen.body:
            reply = openai_error(400, "response_format json_schema is not supported by this "
                                 "server", "BadRequestError")
        reply = reply or Reply(usage=self.usage)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.raw is not None:
            return reply.status, reply.headers, reply.raw
        if reply.status != 200:
            return reply.status, reply.headers, json.dumps(reply.error or {}).encode()
        content = reply.content if reply.content is not None else self.respond(seen)
        body: dict[str, Any] = {
            "id": "chatcmpl-fake", "object": "chat.completion", "model": seen.body.get("model"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}]}
        if reply.usage is not None:
            body["usage"] = reply.usage
        return 200, reply.headers, json.dumps(body).encode()


@contextlib.contextmanager
def serve_fake_llm() -> Iterator[FakeLLM]:
    fake = FakeLLM()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            parts = urlsplit(self.path)
            seen = Seen(parts.path, parts.query, {k.lower(): v for k, v in self.headers.items()},
                        json.loads(self.rfile.read(length) or b"{}"))
            status, headers, data = fake.answer(seen)
            with contextlib.suppress(OSError):  # the client gave up waiting (a timeout test)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # A short poll: shutting down waits for it, once per test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    fake.origin = f"http://127.0.0.1:{server.server_port}"
    fake.url = f"{fake.origin}/v1"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
