"""POST /v1/chat/inbound: sessions, agent turns, and the documented errors."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.mock.conftest import Api


def test_first_message_creates_a_session_and_answers(api: Api) -> None:
    data = api.inbound("Hi there").data
    assert uuid.UUID(data["session_id"])
    assert data == {"session_id": data["session_id"], "reply": "How can I help?",
                    "state": "default", "mode": "ai", "help_requested": False}


def test_the_customers_open_session_is_resumed(api: Api) -> None:
    customer = api.customer()
    first = api.inbound("Hi", customer=customer).data["session_id"]
    assert api.inbound("Again", customer=customer).data["session_id"] == first
    assert api.inbound("Hi", customer=api.customer()).data["session_id"] != first


def test_sessions_are_per_agent(api: Api) -> None:
    customer = api.customer()
    basic = api.inbound("Hi", customer=customer).data["session_id"]
    other = api.inbound("Hi", agent="agent_ops", customer=customer).data["session_id"]
    assert basic != other


def test_explicit_session_id_routes_the_message(api: Api) -> None:
    session_id, _ = api.start()
    data = api.inbound("Hello", customer=api.customer(), session_id=session_id).data
    assert data["session_id"] == session_id


@pytest.mark.parametrize("session_id", ["no-such-session", "4718a326-417b-4dda-90d0-21fd65a11cb8"])
def test_unknown_session_id_is_404(api: Api, session_id: str) -> None:
    reply = api.inbound("Hello", session_id=session_id)
    assert (reply.status, reply.error) == (404, "session_not_found")


def test_session_of_another_agent_is_404(api: Api) -> None:
    session_id, _ = api.start(agent="agent_ops")
    reply = api.inbound("Hello", agent="agent_basic", session_id=session_id)
    assert (reply.status, reply.error) == (404, "session_not_found")


@pytest.mark.parametrize("field", ["agent_uuid", "customer_id", "content"])
@pytest.mark.parametrize("value", ["<missing>", None, "", "   ", 42, ["x"], {"a": 1}, True])
def test_missing_or_malformed_required_field_is_400(api: Api, field: str, value: Any) -> None:
    body: dict[str, Any] = {"agent_uuid": "agent_basic", "customer_id": "c", "content": "hi"}
    if value == "<missing>":
        del body[field]
    else:
        body[field] = value
    reply = api.post("/v1/chat/inbound", body)
    assert (reply.status, reply.error) == (400, f"{field}_required")


def test_fields_are_checked_in_order(api: Api) -> None:
    reply = api.post("/v1/chat/inbound", {})
    assert reply.error == "agent_uuid_required"
    reply = api.post("/v1/chat/inbound", {"agent_uuid": "agent_basic"})
    assert reply.error == "customer_id_required"


@pytest.mark.parametrize("value", [42, ["a"], {"id": "x"}, True])
def test_non_string_session_id_is_400(api: Api, value: Any) -> None:
    reply = api.inbound("Hi", session_id=value)
    assert (reply.status, reply.error) == (400, "session_id must be a string")


def test_null_session_id_means_none(api: Api) -> None:
    assert api.inbound("Hi", session_id=None).status == 200


def test_unknown_agent_is_404(api: Api) -> None:
    reply = api.inbound("Hi", agent="agent_nobody")
    assert (reply.status, reply.error) == (404, "agent_not_found")


@pytest.mark.parametrize(("agent", "code"), [("agent_archived", "agent_archived"),
                                             ("agent_inactive", "agent_inactive")])
def test_archived_and_inactive_agents_are_422(api: Api, agent: str, code: str) -> None:
    reply = api.inbound("Hi", agent=agent)
    assert (reply.status, reply.error) == (422, code)
    assert "upstream_body" not in reply.body


def test_first_matching_rule_answers_and_sets_a_sticky_state(api: Api) -> None:
    customer = api.customer()
    data = api.inbound("I want a REFUND", customer=customer).data
    assert data["reply"] == "Refund? Sure. What's your order number?"
    assert data["state"] == "collect_order"
    data = api.inbound("It is 12345", customer=customer).data
    assert data["reply"] == "Order noted: It is 12345"
    assert data["state"] == "done"
    data = api.inbound("thanks", customer=customer).data
    assert (data["reply"], data["state"]) == ("How can I help?", "done")


def test_help_requested_is_sticky_until_a_rule_clears_it(api: Api) -> None:
    customer = api.customer()
    assert api.inbound("a human please", customer=customer).data["help_requested"] is True
    assert api.inbound("hello?", customer=customer).data["help_requested"] is True
    data = api.inbound("never mind", customer=customer).data
    assert (data["reply"], data["help_requested"]) == ("Okay, I'll keep helping.", False)


def test_a_rule_may_give_no_reply(api: Api) -> None:
    data = api.inbound("be silent").data
    assert data["reply"] is None
    assert data["mode"] == "ai"


def test_the_customer_message_and_reply_are_recorded(api: Api) -> None:
    session_id, _ = api.start("Hello")
    history = api.snapshot(session_id)["history"]
    assert [(h["role"], h["text"]) for h in history] == [("customer", "Hello"),
                                                         ("agent", "How can I help?")]
    assert all(h["at"].endswith("Z") for h in history)


def test_a_closed_session_is_never_resumed(api: Api) -> None:
    session_id, customer = api.start()
    assert api.support(session_id, "close").data["state"] == "ok"
    fresh = api.inbound("Hello again", customer=customer).data["session_id"]
    assert fresh != session_id


def test_a_message_to_a_closed_session_id_is_an_engine_error(api: Api) -> None:
    session_id, customer = api.start()
    api.support(session_id, "close")
    reply = api.inbound("Hello?", customer=customer, session_id=session_id)
    assert reply.status == 422
    assert reply.error == "Python engine returned 422 for POST /v1/chat/inbound"
    assert reply.upstream == {"state": "invalid", "reason": "session_closed"}


def test_support_mode_records_the_message_without_a_reply(api: Api) -> None:
    session_id, customer = api.start()
    api.support(session_id, "whisper", "offer a voucher")
    api.support(session_id, "takeover")
    data = api.inbound("anyone there?", customer=customer).data
    assert (data["reply"], data["mode"]) == (None, "support")
    snapshot = api.snapshot(session_id)
    assert snapshot["history"][-1] == {**snapshot["history"][-1], "role": "customer",
                                       "text": "anyone there?"}
    # Pending guidance waits for the next agent turn.
    assert snapshot["pending_whispers"] == ["offer a voucher"]


def test_pending_whispers_are_consumed_by_the_next_turn(api: Api) -> None:
    session_id, customer = api.start()
    api.support(session_id, "whisper", "offer a voucher")
    api.support(session_id, "whisper", "be brief")
    data = api.inbound("so?", customer=customer).data
    assert data["reply"] == "guided: offer a voucher\nbe brief | msg: so?"
    assert api.inbound("and?", customer=customer).data["reply"] == "How can I help?"


def test_non_ascii_text_round_trips(api: Api) -> None:
    customer = api.customer()
    api.inbound("Grüße 👋", customer=customer)
    session_id = api.inbound("ok", customer=customer).data["session_id"]
    assert api.snapshot(session_id)["history"][0]["text"] == "Grüße 👋"
