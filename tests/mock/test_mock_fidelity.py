"""Where the mock must answer as the vendor documents, not as a web framework would.

The support endpoint documents 200/401/403/404/422/502 only: a request the
chat engine cannot act on is a 422 engine error, never a 400. Every answer here
also passes the stricter contract oracle of ``tests/mock/contract.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from runner.execution.contract import contract_problem
from tests.mock.conftest import Api
from tests.mock.contract import ContractViolation, check_response, openapi


def support_path(session_id: str) -> str:
    return f"/v1/chat/session/{session_id}/support"


def assert_engine_error(reply: Any, session_id: str, state: str, reason: str) -> None:
    assert reply.status == 422, reply.body
    assert reply.error == f"Python engine returned 422 for POST {support_path(session_id)}"
    assert reply.upstream == {"state": state, "reason": reason}


@pytest.mark.parametrize("body", [{}, {"message": ""}, {"message": "  "}, {"command": None},
                                  {"command": None, "message": None}])
def test_no_command_and_no_message_is_a_422_engine_error(api: Api, body: dict[str, Any]) -> None:
    session_id, _ = api.start()
    reply = api.post(support_path(session_id), body)
    assert_engine_error(reply, session_id, "invalid", "message_required")


@pytest.mark.parametrize(("body", "reason"), [
    ({"command": 1}, "command_must_be_a_string"),
    ({"command": ["close"]}, "command_must_be_a_string"),
    ({"command": {"name": "close"}}, "command_must_be_a_string"),
    ({"command": "takeover", "message": 5}, "message_must_be_a_string"),
    ({"message": {"text": "hi"}}, "message_must_be_a_string"),
])
def test_non_string_fields_are_422_engine_errors(api: Api, body: dict[str, Any],
                                                 reason: str) -> None:
    session_id, _ = api.start()
    reply = api.post(support_path(session_id), body)
    assert_engine_error(reply, session_id, "invalid", reason)


@pytest.mark.parametrize(("content", "reason"), [
    (b"{not json", "invalid_json"), (b"[]", "body_must_be_an_object"),
    (b"null", "body_must_be_an_object"),
])
def test_a_body_that_is_not_an_object_is_a_422_on_support(api: Api, content: bytes,
                                                          reason: str) -> None:
    session_id, _ = api.start()
    reply = api.post(support_path(session_id), content=content)
    assert_engine_error(reply, session_id, "invalid", reason)


def test_a_bad_body_for_an_unknown_session_is_still_404(api: Api) -> None:
    reply = api.post(support_path("no-such-session"), content=b"{not json")
    assert (reply.status, reply.error) == (404, "session_not_found")


@pytest.mark.parametrize("body", [{"command": ""}, {"command": "", "message": ""},
                                  {"command": "", "message": "Hello from support"},
                                  {"command": "   "}])
def test_a_blank_command_is_an_unknown_command_not_an_omitted_one(
        api: Api, body: dict[str, Any]) -> None:
    session_id, _ = api.start()
    api.support(session_id, "takeover")  # a plain message would be valid now
    reply = api.post(support_path(session_id), body)
    assert_engine_error(reply, session_id, "invalid", "unknown_command")
    assert [e["role"] for e in api.snapshot(session_id)["history"]].count("operator") == 0


def test_a_repeated_close_is_no_change(api: Api) -> None:
    session_id, _ = api.start()
    assert api.support(session_id, "close").data["state"] == "ok"
    data = api.support(session_id, "close").data
    assert data == {"state": "no_change", "session_id": session_id, "command": "close"}
    assert api.snapshot(session_id)["status"] == "closed"
    # Every other command on a closed session is still invalid.
    for command in ("takeover", "tell", "whisper", "end"):
        data = api.support(session_id, command, "text").data
        assert (data["state"], data["command"]) == ("invalid", command)


@pytest.mark.parametrize("command", ["tell", "whisper"])
@pytest.mark.parametrize("end", ["close", "dormant"])
def test_a_tell_without_text_is_refused_whatever_the_sessions_state(api: Api, command: str,
                                                                     end: str) -> None:
    # Found by schemathesis: the request is malformed, so its answer cannot depend on state.
    session_id, _ = api.start(agent="agent_ops")  # dormant after 10 minutes
    if end == "close":
        api.support(session_id, "close")
    else:
        api.advance("11m")
    reply = api.post(support_path(session_id), {"command": command})
    assert_engine_error(reply, session_id, "invalid", "message_required")


# -- the contract: the vendor's constraints for live answers, the mock's reading for the mock --

INBOUND = "/v1/chat/inbound"
SUPPORT = "/v1/chat/session/s-1/support"


@pytest.mark.parametrize(("path", "status", "body"), [
    # Fields the vendor shows but never says are always present.
    (INBOUND, 200, {"success": True, "data": {"session_id": "s-1", "reply": "Hi"}}),
    (INBOUND, 200, {"success": True, "data": {"session_id": "", "reply": None, "state": "x",
                                               "mode": "ai", "help_requested": False}}),
    # An echo of a command the mock does not know is still a string.
    (SUPPORT, 200, {"success": True, "data": {"state": "ok", "session_id": "s-1",
                                               "command": "transfer"}}),
    (SUPPORT, 422, {"success": False, "error": "x", "upstream_body": {"state": 3}}),
])
def test_live_answers_are_held_only_to_what_the_vendor_documents(
        path: str, status: int, body: Any) -> None:
    assert contract_problem("POST", path, status, body) is None
    # ...while the mock itself is held to its stricter reading.
    with pytest.raises(ContractViolation):
        check_response("POST", path, status, {"content-type": "application/json"},
                       _json(body))


@pytest.mark.parametrize(("path", "status", "body", "where"), [
    # The vendor: `data` "always includes `state`, `session_id`, and `command`".
    (SUPPORT, 200, {"success": True, "data": {"state": "ok", "session_id": "s-1"}},
     "data.command"),
    (INBOUND, 200, {"success": True, "data": {"session_id": "s-1", "mode": "human"}},
     "data.mode"),
    (INBOUND, 200, {"success": True, "data": {"session_id": 7}}, "data.session_id"),
])
def test_live_answers_still_break_the_documented_contract(path: str, status: int, body: Any,
                                                          where: str) -> None:
    problem = contract_problem("POST", path, status, body)
    assert problem is not None and f" at {where}:" in problem


def _json(body: Any) -> bytes:
    return json.dumps(body).encode()


def test_the_contract_documents_only_the_vendors_statuses_and_marks_its_readings() -> None:
    responses = openapi()["paths"]["/v1/chat/session/{id}/support"]["post"]["responses"]
    assert sorted(responses) == ["200", "401", "403", "404", "422", "502"]
    readings: list[tuple[str, str, bool]] = []  # where, keyword, whether it stands there

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            readings.extend((where, keyword, keyword in node)
                            for keyword in node.get("x-mock-reading", []))
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    walk(openapi(), "")
    assert {keyword for _, keyword, _ in readings} >= {"minLength", "required", "enum", "pattern"}
    assert [(where, keyword) for where, keyword, present in readings if not present] == []


def test_the_mock_never_answers_in_the_error_list_shape() -> None:
    body = {"success": False, "errors": ["field is required"]}
    assert contract_problem("POST", INBOUND, 400, body) is None
    with pytest.raises(ContractViolation, match="carry `error`"):
        check_response("POST", INBOUND, 400, {"content-type": "application/json"}, _json(body))
