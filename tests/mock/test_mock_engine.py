"""In-process properties of the engine and app: isolation, concurrency, the clock, failures."""

from __future__ import annotations

import asyncio
import json
import math
import time
from typing import Any

import httpx
import pytest

from runner.mock import Engine, ManualClock, MockAgent, create_app
from runner.mock.engine import MockAnswer
from tests.mock.conftest import TOKEN, Api


def client_for(engine: Engine) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(engine)),
                             base_url="http://osvi-mock", headers={"API-Token": TOKEN})


async def say(http: httpx.AsyncClient, agent: str, customer: str, text: str) -> dict[str, Any]:
    response = await http.post("/v1/chat/inbound", json={
        "agent_uuid": agent, "customer_id": customer, "content": text})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_engines_share_nothing() -> None:
    agent = MockAgent.from_spec({"replies": [{"when": "refund", "reply": "ok",
                                              "state": "collect_order"}]})

    async def scenario(index: int) -> tuple[str, str]:
        engine = Engine({"agent_x": agent}, token=TOKEN, clock=ManualClock())
        async with client_for(engine) as http:
            first = await say(http, "agent_x", "same-customer", "refund" if index % 2 else "hi")
            engine.clock.advance(3600 * index)
            second = await say(http, "agent_x", "same-customer", "again")
            assert first["session_id"] == second["session_id"]
            assert len(engine.sessions) == 1
            return first["session_id"], second["state"]

    async def main() -> list[tuple[str, str]]:
        return await asyncio.gather(*(scenario(i) for i in range(40)))

    results = asyncio.run(main())
    assert len({session for session, _ in results}) == 40
    assert [state for _, state in results] == ["default", "collect_order"] * 20


def test_creating_an_engine_is_cheap() -> None:
    agents = {"agent_x": MockAgent.from_spec({})}
    started = time.perf_counter()
    for _ in range(1000):
        create_app(Engine(agents, token=TOKEN, clock=ManualClock()))
    assert (time.perf_counter() - started) / 1000 < 0.001


def test_latency_does_not_block_other_requests() -> None:
    engine = Engine({"agent_slow": MockAgent.from_spec({"latency": "300ms"})}, token=TOKEN)

    async def main() -> float:
        async with client_for(engine) as http:
            started = time.perf_counter()
            await asyncio.gather(*(say(http, "agent_slow", f"c{i}", "hi") for i in range(10)))
            return time.perf_counter() - started

    assert 0.3 <= asyncio.run(main()) < 1.0


def test_an_unexpected_exception_is_a_json_500(monkeypatch: pytest.MonkeyPatch,
                                               inprocess_api: Api) -> None:
    assert inprocess_api.engine is not None

    def broken(body: Any) -> MockAnswer:
        raise RuntimeError("a bug")

    monkeypatch.setattr(inprocess_api.engine, "inbound", broken)
    reply = inprocess_api.post("/v1/chat/inbound", {}, contract=False)
    assert (reply.status, reply.body) == (500, {"success": False, "error": "internal_error"})


def test_lifespan_events_are_acknowledged() -> None:
    app = create_app(Engine({}))
    events = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[Any] = []

    async def receive() -> Any:
        return next(events)

    async def send(message: Any) -> None:
        sent.append(message)

    async def main() -> None:
        await app({"type": "lifespan"}, receive, send)

    asyncio.run(main())
    assert [m["type"] for m in sent] == ["lifespan.startup.complete",
                                         "lifespan.shutdown.complete"]


def test_without_a_token_auth_is_off() -> None:
    engine = Engine({"agent_x": MockAgent.from_spec({})}, token=None)

    async def main() -> int:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(engine)),
                                     base_url="http://osvi-mock") as http:
            response = await http.post("/v1/chat/inbound", content=json.dumps({
                "agent_uuid": "agent_x", "customer_id": "c", "content": "hi"}))
            return response.status_code

    assert asyncio.run(main()) == 200


def test_manual_clock_adds_skipped_time_to_real_time() -> None:
    now = [100.0]
    clock = ManualClock(monotonic=lambda: now[0], wall=lambda: 0.0)
    assert clock.now() == 100.0
    clock.advance(60)
    now[0] = 101.5
    assert (clock.now(), clock.offset) == (161.5, 60.0)
    assert clock.iso() == "1970-01-01T00:01:00.000Z"


@pytest.mark.parametrize("seconds", [-1.0, math.nan, math.inf, 11 * 365 * 24 * 3600.0])
def test_manual_clock_refuses_odd_advances(seconds: float) -> None:
    clock = ManualClock()
    with pytest.raises(ValueError):
        clock.advance(seconds)
    assert clock.offset == 0.0


def test_engine_uses_its_clock_for_dormancy() -> None:
    engine = Engine({"agent_x": MockAgent.from_spec({"dormant_after": "1m"})})
    outcome = engine.inbound({"agent_uuid": "agent_x", "customer_id": "c", "content": "hi"})
    assert outcome.payload is not None
    session_id = outcome.payload["data"]["session_id"]
    engine.clock.advance(59)
    assert engine.session(session_id).status == "active"  # type: ignore[union-attr]
    engine.clock.advance(1)
    assert engine.session(session_id).status == "dormant"  # type: ignore[union-attr]
