"""HTTP-level behaviour: auth, malformed bodies, routing, admin endpoints."""

from __future__ import annotations

import pytest

from tests.mock.conftest import TOKEN, Api

SESSION_PATHS = ["/v1/chat/session/{sid}/support", "/v1/chat/session/{sid}/inject_context"]
ALL_PATHS = ["/v1/chat/inbound", *SESSION_PATHS]
# Support documents no 400: its unreadable bodies are 422s (test_mock_fidelity.py).
PATHS_WITH_400 = ["/v1/chat/inbound", "/v1/chat/session/{sid}/inject_context"]


@pytest.mark.parametrize("path", [*ALL_PATHS, "/_mock/clock"])
@pytest.mark.parametrize("token", [None, "wrong-token-0000", TOKEN + "x", "", TOKEN.upper()])
def test_missing_or_wrong_token_is_401(api: Api, path: str, token: str | None) -> None:
    reply = api.post(path.format(sid="any"), {"context": "x"}, token=token)
    assert (reply.status, reply.body) == (401, {"success": False, "error": "unauthorized"})


def test_admin_session_view_needs_the_token(api: Api) -> None:
    session_id, _ = api.start()
    reply = api.get(f"/_mock/sessions/{session_id}", token=None)
    assert reply.status == 401


def test_health_needs_no_token(api: Api) -> None:
    data = api.get("/_mock/health", token=None).data
    assert data["status"] == "ok"
    assert "agent_basic" in data["agents"]


def test_auth_comes_before_anything_about_the_body(api: Api) -> None:
    reply = api.post("/v1/chat/inbound", content=b"{not json", token=None)
    assert reply.status == 401


@pytest.mark.parametrize("path", PATHS_WITH_400)
@pytest.mark.parametrize("content", [b"{not json", b'{"a": 1', b"\xff\xfe\x00garbage",
                                     b"[" * 100_000, b'{"a": NaN'])
def test_malformed_json_is_400(api: Api, path: str, content: bytes) -> None:
    session_id, _ = api.start()
    reply = api.post(path.format(sid=session_id), content=content)
    assert (reply.status, reply.error) == (400, "invalid_json")


@pytest.mark.parametrize("path", PATHS_WITH_400)
@pytest.mark.parametrize("content", [b"[]", b'"text"', b"42", b"null", b"true", b"[{}]"])
def test_non_object_json_is_400(api: Api, path: str, content: bytes) -> None:
    session_id, _ = api.start()
    reply = api.post(path.format(sid=session_id), content=content)
    assert (reply.status, reply.error) == (400, "body_must_be_an_object")


def test_an_empty_body_has_no_parameters(api: Api) -> None:
    reply = api.post("/v1/chat/inbound", content=b"")
    assert (reply.status, reply.error) == (400, "agent_uuid_required")


@pytest.mark.parametrize("path", ["/", "/v1/chat", "/v1/chat/inbound/", "/v1/chat/session/x",
                                  "/v1/chat/session//support", "/v1/chat/session/x/delete",
                                  "/v2/chat/inbound", "/_mock/sessions/"])
def test_unknown_paths_are_json_404(api: Api, path: str) -> None:
    reply = api.post(path, {})
    assert (reply.status, reply.error) == (404, "not_found")


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/v1/chat/inbound"), ("PUT", "/v1/chat/inbound"), ("DELETE", "/v1/chat/inbound"),
    ("GET", "/v1/chat/session/x/support"), ("PATCH", "/v1/chat/session/x/inject_context"),
    ("GET", "/_mock/clock"), ("POST", "/_mock/sessions/x"),
])
def test_wrong_method_is_json_405(api: Api, method: str, path: str) -> None:
    reply = api.call(method, path)
    assert (reply.status, reply.error) == (405, "method_not_allowed")
    assert reply.headers["allow"] in ("POST", "GET")


def test_oversized_body_is_413(api: Api) -> None:
    # A transport limit of the mock's, so not part of the API contract.
    reply = api.post("/v1/chat/inbound", content=b" " * (1024 * 1024 + 1), contract=False)
    assert (reply.status, reply.body) == (413, {"success": False, "error": "body_too_large"})


def test_clock_advance_reports_now(api: Api) -> None:
    data = api.advance("1h").data
    assert data["now"].endswith("Z")
    assert data["offset_seconds"] >= 3600


@pytest.mark.parametrize("amount", ["soon", -5, None, "1y", True, [1], "9999999h", 1e309])
def test_clock_advance_rejects_bad_amounts(api: Api, amount: object) -> None:
    reply = api.advance(amount)
    assert reply.status == 400
    assert reply.error.startswith("advance must be a duration")


def test_session_view_of_an_unknown_session_is_404(api: Api) -> None:
    reply = api.get("/_mock/sessions/nope")
    assert (reply.status, reply.error) == (404, "session_not_found")


def test_session_view_shows_the_whole_session(api: Api) -> None:
    session_id, customer = api.start(agent="agent_ops")
    view = api.snapshot(session_id)
    assert view == {
        "session_id": session_id, "agent_uuid": "agent_ops", "customer_id": customer,
        "status": "active", "mode": "ai", "state": "default", "help_requested": False,
        "active_human": None, "context": ["First entry", "Second entry"],
        "pending_whispers": [], "history": view["history"],
    }


def test_token_is_never_echoed(api: Api) -> None:
    session_id, _ = api.start()
    for reply in (api.support(session_id, "takeover"), api.inject(session_id, "x"),
                  api.post("/nope", {}), api.post("/v1/chat/inbound", {}, token="bad")):
        assert TOKEN.encode() not in reply.content
        assert all(TOKEN not in value for value in reply.headers.values())
