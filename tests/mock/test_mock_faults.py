"""Fault injection and latency: what clients under test see when things go wrong."""

from __future__ import annotations

import time

from tests.mock.conftest import Api


def test_agent_latency_delays_every_response(api: Api) -> None:
    started = time.perf_counter()
    session_id, _ = api.start(agent="agent_slow")
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    assert api.inject(session_id, "x").status == 200
    assert time.perf_counter() - started >= 0.3


def test_rule_latency_delays_its_turn_only(api: Api) -> None:
    customer = api.customer()
    started = time.perf_counter()
    assert api.inbound("slow", agent="agent_faulty_rules", customer=customer).data["reply"] == \
        "finally"
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    api.inbound("fast", agent="agent_faulty_rules", customer=customer)
    assert time.perf_counter() - started < 0.25


def test_rule_fault_can_send_an_html_page(api: Api) -> None:
    customer = api.customer()
    reply = api.inbound("html please", agent="agent_faulty_rules", customer=customer,
                        contract=False)
    assert reply.status == 502
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert reply.content == b"<html><body>502 Bad Gateway</body></html>"


def test_rule_fault_still_records_the_customer_message(api: Api) -> None:
    customer = api.customer()
    session_id = api.inbound("hi", agent="agent_faulty_rules", customer=customer) \
        .data["session_id"]
    reply = api.inbound("busy?", agent="agent_faulty_rules", customer=customer)
    assert reply.status == 422
    assert reply.error == "Python engine returned 422 for POST /v1/chat/inbound"
    assert reply.upstream == {"state": "busy", "reason": "engine_busy"}
    history = api.snapshot(session_id)["history"]
    assert (history[-1]["role"], history[-1]["text"]) == ("customer", "busy?")


def test_rule_fault_may_set_headers(api: Api) -> None:
    reply = api.inbound("ratelimit", agent="agent_faulty_rules", contract=False)
    assert reply.status == 429
    assert reply.headers["retry-after"] == "2"
    assert reply.body == {"success": False, "error": "too_many_requests"}


def test_agent_fault_fails_the_first_n_requests_then_recovers(api: Api) -> None:
    customer = api.customer()
    for _ in range(2):
        reply = api.inbound("hi", agent="agent_flaky", customer=customer, contract=False)
        assert reply.status == 503
        assert reply.headers["retry-after"] == "1"
        assert reply.body == {"success": False,
                              "error": "Python engine returned 503 for POST /v1/chat/inbound",
                              "upstream_body": None}
    data = api.inbound("hi", agent="agent_flaky", customer=customer).data
    assert data["reply"] == "How can I help?"
    # Nothing was recorded for the failed attempts.
    assert len(api.snapshot(data["session_id"])["history"]) == 2


def test_agent_faults_target_endpoints(api: Api) -> None:
    session_id, _ = api.start(agent="agent_support_down")
    reply = api.support(session_id, "whisper", "hi")
    assert reply.status == 502
    assert reply.error == f"Python engine returned 502 for POST /v1/chat/session/{session_id}" \
                          "/support"
    reply = api.inject(session_id, "note", contract=False)
    assert (reply.status, reply.error, reply.upstream) == (504, "gateway_timeout", None)
    assert api.snapshot(session_id)["context"] == []
