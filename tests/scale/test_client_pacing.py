"""--osvi-rate inside the client: one token per request sent, and 429s honoured once."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from runner.execution.client import OsviClient
from runner.execution.ratelimit import TokenBucket


class Clock:
    """A fake clock that every sleep (the bucket's and the client's) moves forward."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _answers(*statuses: int) -> httpx.MockTransport:
    queue = list(statuses)

    def handler(request: httpx.Request) -> httpx.Response:
        status = queue.pop(0)
        if status == 429:
            return httpx.Response(429, headers={"Retry-After": "2"},
                                  json={"error": "rate_limited"})
        body = {"data": {"session_id": "s1", "reply": "Hi", "state": "default", "mode": "ai",
                         "help_requested": False}}
        return httpx.Response(200, content=json.dumps(body).encode(),
                              headers={"content-type": "application/json"})

    return httpx.MockTransport(handler)


def _send(client: OsviClient, count: int) -> list[int | None]:
    async def main() -> list[int | None]:
        return [(await client.inbound("agent_x", "c1", "Hi")).status for _ in range(count)]

    return asyncio.run(main())


def test_every_request_takes_a_token_and_waits_for_its_turn() -> None:
    clock = Clock()
    bucket = TokenBucket(2, 1, clock=clock, sleep=clock.sleep)
    transport = _answers(200, 200, 200)

    async def make() -> OsviClient:
        return OsviClient(httpx.AsyncClient(transport=transport, base_url="http://api"),
                          timeout=5, contract=False, limiter=bucket)

    client = asyncio.run(make())
    assert _send(client, 3) == [200, 200, 200]
    assert clock.sleeps == pytest.approx([0.5, 0.5])  # at 2 per second, one at a time


def test_a_429_is_retried_after_its_retry_after_without_waiting_twice(
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    bucket = TokenBucket(1, 1, clock=clock, sleep=clock.sleep)
    monkeypatch.setattr(asyncio, "sleep", clock.sleep)  # the client's Retry-After wait
    transport = _answers(429, 200)

    async def make() -> OsviClient:
        return OsviClient(httpx.AsyncClient(transport=transport, base_url="http://api"),
                          timeout=5, contract=False, retries=2, limiter=bucket)

    client = asyncio.run(make())
    assert _send(client, 1) == [200]
    # The only wait is the Retry-After: the bucket's hold ran out at the same moment.
    assert clock.sleeps == [2.0]
    # Everyone else waits for the hold too: the next token is a full interval away.
    assert bucket.reserve() == pytest.approx(1.0)
