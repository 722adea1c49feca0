"""POST /v1/chat/session/{id}/support: every command and plain operator messages."""

from __future__ import annotations

import pytest

from tests.mock.conftest import Api

COMMANDS = ["takeover", "tell", "whisper", "end", "close"]


def support_path(session_id: str) -> str:
    return f"/v1/chat/session/{session_id}/support"


def test_unknown_session_is_404(api: Api) -> None:
    reply = api.support("no-such-session", "takeover")
    assert (reply.status, reply.error) == (404, "session_not_found")


def test_takeover_switches_to_support_mode(api: Api) -> None:
    session_id, customer = api.start()
    data = api.support(session_id, "takeover").data
    assert data == {"state": "ok", "session_id": session_id, "command": "takeover",
                    "active_human": "operator@example.com"}
    snapshot = api.snapshot(session_id)
    assert (snapshot["mode"], snapshot["active_human"]) == ("support", "operator@example.com")
    assert api.inbound("hello?", customer=customer).data["mode"] == "support"


def test_takeover_reports_the_agents_operator(api: Api) -> None:
    session_id, _ = api.start(agent="agent_ops")
    assert api.support(session_id, "takeover").data["active_human"] == "qa@yourco.com"


def test_takeover_message_is_delivered_to_the_customer(api: Api) -> None:
    session_id, _ = api.start()
    api.support(session_id, "takeover", "Hi, I'm Sam from support.")
    last = api.snapshot(session_id)["history"][-1]
    assert (last["role"], last["text"]) == ("operator", "Hi, I'm Sam from support.")


def test_second_takeover_is_no_change(api: Api) -> None:
    session_id, _ = api.start()
    api.support(session_id, "takeover")
    data = api.support(session_id, "takeover").data
    assert (data["state"], data["active_human"]) == ("no_change", "operator@example.com")


def test_tell_fires_an_agent_turn_with_the_guidance(api: Api) -> None:
    session_id, _ = api.start("Where is my parcel?")
    api.support(session_id, "whisper", "it shipped Monday")
    data = api.support(session_id, "tell", "apologise for the delay").data
    assert data == {"state": "ok", "session_id": session_id, "command": "tell",
                    "reply": "guided: it shipped Monday\napologise for the delay"
                             " | msg: Where is my parcel?"}
    snapshot = api.snapshot(session_id)
    assert snapshot["pending_whispers"] == []
    assert (snapshot["history"][-1]["role"], snapshot["history"][-1]["text"]) == \
        ("agent", data["reply"])


def test_tell_turn_matches_the_customers_last_message(api: Api) -> None:
    session_id, customer = api.start("hello")
    api.inbound("I need a refund", customer=customer)
    api.inbound("silent now", customer=customer)
    api.inbound("Refund, please", customer=customer)
    data = api.support(session_id, "tell", "ask for the order number").data
    # The refund rule comes before the whisper rule, and sees "Refund, please".
    assert data["reply"] == "Refund? Sure. What's your order number?"
    assert api.snapshot(session_id)["state"] == "collect_order"


@pytest.mark.parametrize("message", [None, "", "   "])
def test_tell_needs_text(api: Api, message: str | None) -> None:
    session_id, _ = api.start()
    reply = api.support(session_id, "tell", message)
    assert reply.status == 422
    assert reply.error == f"Python engine returned 422 for POST {support_path(session_id)}"
    assert reply.upstream == {"state": "invalid", "reason": "message_required"}


def test_tell_is_rejected_during_a_takeover(api: Api) -> None:
    session_id, _ = api.start()
    api.support(session_id, "takeover")
    reply = api.support(session_id, "tell", "say hi")
    assert reply.status == 422
    assert reply.upstream == {"state": "rejected", "reason": "tell_not_allowed_during_takeover"}


def test_whisper_is_private_guidance(api: Api) -> None:
    session_id, _ = api.start()
    data = api.support(session_id, "whisper", "offer 10% off").data
    assert data == {"state": "ok", "session_id": session_id, "command": "whisper"}
    entry = api.snapshot(session_id)["history"][-1]
    assert (entry["role"], entry["text"], entry["private"]) == ("whisper", "offer 10% off", True)


@pytest.mark.parametrize("message", [None, "", " \n "])
def test_whisper_needs_text(api: Api, message: str | None) -> None:
    session_id, _ = api.start()
    reply = api.support(session_id, "whisper", message)
    assert reply.status == 422
    assert reply.upstream == {"state": "invalid", "reason": "message_required"}


def test_end_hands_back_to_the_agent_and_clears_help(api: Api) -> None:
    session_id, customer = api.start("a human please")
    api.support(session_id, "takeover")
    assert api.support(session_id, "end").data == {"state": "ok", "session_id": session_id,
                                                   "command": "end"}
    data = api.inbound("hi", customer=customer).data
    assert (data["mode"], data["help_requested"], data["reply"]) == ("ai", False,
                                                                     "How can I help?")


def test_end_in_ai_mode_clears_a_help_request(api: Api) -> None:
    session_id, _ = api.start("a person please")
    assert api.support(session_id, "end").data["state"] == "ok"
    assert api.snapshot(session_id)["help_requested"] is False


def test_end_with_nothing_to_end_is_no_change(api: Api) -> None:
    session_id, _ = api.start()
    assert api.support(session_id, "end").data["state"] == "no_change"


def test_close_then_every_other_command_is_invalid(api: Api) -> None:
    session_id, _ = api.start()
    assert api.support(session_id, "close").data["state"] == "ok"
    assert api.snapshot(session_id)["status"] == "closed"
    for command in COMMANDS:
        data = api.support(session_id, command, "text").data
        expected = "no_change" if command == "close" else "invalid"
        assert (data["state"], data["command"]) == (expected, command)
    assert api.support(session_id, message="still there?").data["state"] == "invalid"


def test_plain_message_in_support_mode(api: Api) -> None:
    session_id, _ = api.start()
    api.support(session_id, "takeover")
    data = api.support(session_id, message="Let me check that for you.").data
    assert data == {"state": "ok", "session_id": session_id, "command": None}
    entry = api.snapshot(session_id)["history"][-1]
    assert (entry["role"], entry["text"]) == ("operator", "Let me check that for you.")


def test_plain_message_outside_support_mode_is_rejected(api: Api) -> None:
    session_id, _ = api.start()
    reply = api.support(session_id, message="hello")
    assert reply.status == 422
    assert reply.upstream == {"state": "rejected", "reason": "not_in_support_mode"}


# Bodies the engine cannot act on (422, never 400): tests/mock/test_mock_fidelity.py


@pytest.mark.parametrize("command", ["transfer", "TAKEOVER", "close "])
def test_unknown_command_is_an_engine_error(api: Api, command: str) -> None:
    session_id, _ = api.start()
    reply = api.support(session_id, command)
    assert reply.status == 422
    assert reply.upstream == {"state": "invalid", "reason": "unknown_command"}


@pytest.mark.parametrize("command", COMMANDS)
def test_disabled_commands_are_403(api: Api, command: str) -> None:
    session_id, _ = api.start(agent="agent_locked")
    reply = api.support(session_id, command, "text")
    assert (reply.status, reply.error) == (403, "command_disabled")


def test_disabled_is_checked_before_the_message(api: Api) -> None:
    session_id, _ = api.start(agent="agent_locked")
    reply = api.post(support_path(session_id), {"command": "tell", "message": 42})
    assert (reply.status, reply.error) == (403, "command_disabled")


def test_other_agents_keep_their_commands(api: Api) -> None:
    session_id, _ = api.start(agent="agent_ops")
    assert api.support(session_id, "whisper", "hi").status == 200
