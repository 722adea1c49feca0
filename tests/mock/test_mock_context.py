"""POST /v1/chat/session/{id}/inject_context, and dormancy on the mock clock."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mock.conftest import Api


def test_context_is_appended_and_the_bucket_returned(api: Api) -> None:
    session_id, _ = api.start()
    data = api.inject(session_id, "Call summary: wants a refund").data
    assert data == {"session_id": session_id, "context": ["Call summary: wants a refund"]}
    data = api.inject(session_id, "Prefers WhatsApp").data
    assert data["context"] == ["Call summary: wants a refund", "Prefers WhatsApp"]


def test_bucket_starts_with_the_initial_context_list(api: Api) -> None:
    session_id, _ = api.start(agent="agent_ops")
    assert api.inject(session_id, "Third").data["context"] == ["First entry", "Second entry",
                                                               "Third"]


def test_bucket_starts_with_an_initial_context_string(api: Api) -> None:
    session_id, _ = api.start(agent="agent_ctxstr")
    assert api.inject(session_id, "More").data["context"] == ["Only entry", "More"]


def test_context_changes_what_the_agent_says(api: Api) -> None:
    session_id, customer = api.start()
    api.inject(session_id, "Earlier call summary: refund for order 7")
    assert api.inbound("ok?", customer=customer).data["reply"] == \
        "ctx: Earlier call summary: refund for order 7"


@pytest.mark.parametrize(("body", "code"), [
    ({}, "context_required"),
    ({"context": None}, "context_required"),
    ({"context": ""}, "context_required"),
    ({"context": "  \t"}, "context_required"),
    ({"context": 42}, "context must be a string"),
    ({"context": ["a", "b"]}, "context must be a string"),
    ({"context": {"a": 1}}, "context must be a string"),
    ({"context": False}, "context must be a string"),
])
def test_bad_context_is_400(api: Api, body: dict[str, Any], code: str) -> None:
    session_id, _ = api.start()
    reply = api.post(f"/v1/chat/session/{session_id}/inject_context", body)
    assert (reply.status, reply.error) == (400, code)


def test_unknown_session_is_404(api: Api) -> None:
    reply = api.inject("no-such-session", "text")
    assert (reply.status, reply.error) == (404, "session_not_found")


def test_a_quiet_session_goes_dormant_and_a_customer_wakes_it(api: Api) -> None:
    session_id, customer = api.start(agent="agent_ops")  # dormant_after: 10m
    api.advance("9m")
    assert api.snapshot(session_id)["status"] == "active"
    api.advance("61s")
    assert api.snapshot(session_id)["status"] == "dormant"
    data = api.inbound("back again", agent="agent_ops", customer=customer).data
    assert data["session_id"] == session_id  # dormant sessions are resumed
    assert api.snapshot(session_id)["status"] == "active"


def test_default_dormancy_is_thirty_minutes(api: Api) -> None:
    session_id, _ = api.start()
    api.advance(29 * 60)
    assert api.snapshot(session_id)["status"] == "active"
    api.advance("1m")
    assert api.snapshot(session_id)["status"] == "dormant"


def test_activity_postpones_dormancy(api: Api) -> None:
    session_id, _ = api.start()
    api.advance("20m")
    api.support(session_id, "whisper", "keep going")
    api.advance("20m")
    assert api.snapshot(session_id)["status"] == "active"


@pytest.mark.parametrize("command", ["takeover", "tell", "whisper", "end"])
def test_commands_on_a_dormant_session_have_no_effect(api: Api, command: str) -> None:
    session_id, _ = api.start()
    api.advance("31m")
    data = api.support(session_id, command, "text").data
    assert (data["state"], data["command"]) == ("dormant", command)
    snapshot = api.snapshot(session_id)
    assert (snapshot["mode"], snapshot["pending_whispers"]) == ("ai", [])


def test_plain_message_on_a_dormant_session_has_no_effect(api: Api) -> None:
    session_id, _ = api.start()
    api.support(session_id, "takeover")
    api.advance("31m")
    assert api.support(session_id, message="hello?").data["state"] == "dormant"


def test_close_works_on_a_dormant_session(api: Api) -> None:
    session_id, customer = api.start()
    api.advance("31m")
    assert api.support(session_id, "close").data["state"] == "ok"
    assert api.inbound("hi", customer=customer).data["session_id"] != session_id


def test_inject_context_does_not_wake_a_dormant_session(api: Api) -> None:
    session_id, _ = api.start()
    api.advance("31m")
    assert api.inject(session_id, "note").status == 200
    assert api.snapshot(session_id)["status"] == "dormant"
