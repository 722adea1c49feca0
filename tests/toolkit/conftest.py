"""Fixtures for the prompt-regression toolkit: pytester helpers, a fake judge, a fake model."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from runner.judging import semantic
from runner.judging.textsim import lexical_similarity
from tests.conftest import RunPytest as RunPytest
from tests.conftest import WriteFile as WriteFile


class WordModel:
    """A stand-in for the embedding model: word-sequence similarity, instant and exact."""

    def similarity(self, a: str, b: str) -> float:
        return lexical_similarity(a, b)


@pytest.fixture
def word_model(monkeypatch: pytest.MonkeyPatch) -> WordModel:
    """similar_to scored by :class:`WordModel`, as if the semantic extra were installed."""
    model = WordModel()
    monkeypatch.setattr(semantic, "available", lambda: True)
    monkeypatch.setattr(semantic, "_model", model)
    return model


@dataclass
class FakeJudge:
    """An OpenAI-compatible chat-completions server on 127.0.0.1, scripted per test."""

    url: str = ""
    score: float = 0.9
    reason: str = "The reply apologises and offers a replacement."
    content: str | None = None  # raw message content instead of a verdict
    status: int = 200
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, bytes]:
        self.requests.append({"body": body, "headers": headers})
        if self.delay:
            time.sleep(self.delay)
        if self.status != 200:
            return self.status, b'{"error": {"message": "model overloaded"}}'
        content = self.content if self.content is not None else json.dumps(
            {"score": self.score, "pass": self.score >= 0.5, "reason": self.reason})
        reply = {"choices": [{"index": 0, "message": {"role": "assistant",
                                                      "content": content}}]}
        return 200, json.dumps(reply).encode()


@pytest.fixture
def judge() -> Iterator[FakeJudge]:
    fake = FakeJudge()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            status, data = fake.answer(body, {k.lower(): v for k, v in self.headers.items()})
            with contextlib.suppress(OSError):  # the client gave up waiting (a timeout test)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # shutdown() waits for the next poll: every 0.5 s by default, at each test's teardown.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_port}/v1"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
