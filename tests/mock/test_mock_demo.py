"""The demo agent behaves as docs/mock.md describes."""

from __future__ import annotations

from typing import Any

from runner.mock import DEMO_AGENT_UUID, Engine, MockAgent, demo_agent_spec, demo_agents


def test_demo_agent_flows() -> None:
    engine = Engine(demo_agents())

    def say(text: str) -> dict[str, Any]:
        outcome = engine.inbound({"agent_uuid": DEMO_AGENT_UUID, "customer_id": "c",
                                  "content": text})
        assert outcome.payload is not None and outcome.status == 200
        data: dict[str, Any] = outcome.payload["data"]
        return data

    assert say("Hi")["reply"].startswith("Hello!")
    assert (say("I want a refund")["state"], say("no idea")["state"]) == ("collect_order",
                                                                          "collect_order")
    done = say("order 123456")
    assert ("(order 123456)" in done["reply"], done["state"]) == (True, "refund_started")
    assert "refunds are possible within 30 days" in say("what do you know?")["reply"]
    escalated = say("Can I talk to a person?")
    assert (escalated["help_requested"], escalated["state"]) == (True, "escalated")
    engine.support(done["session_id"], {"command": "whisper", "message": "Offer a voucher."})
    assert say("hello?")["reply"] == "Thanks for waiting. Offer a voucher."
    assert say("anything")["reply"] == "How can I help?"


def test_demo_spec_is_plain_data_and_fresh() -> None:
    spec = demo_agent_spec()
    assert type(spec) is dict and type(spec["replies"]) is list
    spec["replies"].clear()
    assert demo_agent_spec()["replies"]
    fresh, loaded = MockAgent.from_spec(demo_agent_spec()), demo_agents()[DEMO_AGENT_UUID]
    assert [r.reply for r in fresh.rules] == [r.reply for r in loaded.rules]
    assert (fresh.operator, fresh.initial_context) == (loaded.operator, loaded.initial_context)
