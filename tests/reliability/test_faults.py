"""API faults in live mode: each breaks its scenario with one line, and the run goes on.

The standalone mock injects engine errors, HTML pages, slow answers and
throttling; the tiny fault server adds cut-off answers, resets and contract
drift. Every test also checks the other half of the promise: a customer
message that may have been delivered is never sent twice.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import WriteFile
from tests.reliability.conftest import customer_lines, live, mock_session, resume, unwrapped
from tests.reliability.faultserver import SESSION, FaultServer

MOCK_FAULTS = """
scenario: Engine error
customer: rel-engine-502
steps:
  - customer: "engine-502 please"
---
scenario: HTML error page
steps:
  - customer: "html-page please"
---
scenario: Read timeout
steps:
  - customer: "hello"
  - customer: "slow, please"
---
scenario: The run goes on
steps:
  - customer: "I want a refund"
    expect: {reply: {contains: "order number"}}
"""


def _cleaned_session(output: str) -> str:
    match = re.search(r"closed session (\S+) \(cleanup\)", output)
    assert match, output
    return match.group(1)


def test_engine_errors_html_pages_and_timeouts_break_one_scenario_each(
        pytester: pytest.Pytester, write: WriteFile, mock_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    write(MOCK_FAULTS)
    result = live(pytester, monkeypatch, mock_url, "--osvi-timeout", "1s")
    result.assert_outcomes(passed=1, failed=3)
    unwrapped(result).fnmatch_lines([
        'Cause: step 1 (customer: "engine-502 please"): unexpected answer HTTP 502 · error '
        "'Python engine returned 502 for POST /v1/chat/inbound' · upstream state busy, reason "
        "engine_overloaded from POST /v1/chat/inbound",
    ])
    unwrapped(result).fnmatch_lines([
        'Cause: step 1 (customer: "html-page please"): unexpected answer HTTP 502 · body (not '
        "JSON) '<html><body><h1>502 Bad Gateway</h1></body></html>' from POST /v1/chat/inbound",
    ])
    unwrapped(result).fnmatch_lines([
        "*step 2  customer    slow, please (no usable answer)",
        f"*        error       no answer from {mock_url} within 1.0s (--osvi-timeout)",
        "*        runner      closed session * (cleanup)",
        "*",
        'Cause: step 2 (customer: "slow, please"): no answer from '
        f"{mock_url} within 1.0s (--osvi-timeout)",
    ])
    out = result.stdout.str()
    assert "Traceback" not in out and "INTERNALERROR" not in out
    # The timed-out message reached the platform once and was not sent again;
    # the session it went to was closed at the end of the scenario.
    session = mock_session(mock_url, _cleaned_session(out))
    assert customer_lines(session["history"]) == ["hello", "slow, please"]
    assert session["status"] == "closed"
    # The 502 came after the platform recorded the message: it is there once.
    again = resume(mock_url, "agent_Echo", "rel-engine-502", "still there?")
    assert customer_lines(mock_session(mock_url, again["session_id"])["history"]) == [
        "engine-502 please", "still there?"]


RETRIES = """
scenario: Throttled once
agent: agent_ThrottledOnce
steps:
  - customer: "Hi"
    expect: {reply: "How can I help?"}
---
scenario: Unavailable once
agent: agent_UnavailableOnce
steps:
  - customer: "Hi"
---
scenario: Always throttled
agent: agent_AlwaysThrottled
steps:
  - customer: "Hi"
---
scenario: Back in two minutes
agent: agent_BackInTwoMinutes
steps:
  - customer: "Hi"
---
scenario: Down without Retry-After
agent: agent_DownNoRetryAfter
steps:
  - customer: "Hi"
"""


def test_429_and_503_with_retry_after_are_retried_within_bounds(
        pytester: pytest.Pytester, write: WriteFile, mock_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    write(RETRIES)
    result = live(pytester, monkeypatch, mock_url, "-rP")
    result.assert_outcomes(passed=2, failed=3)
    retried = "*runner      HTTP {}, Retry-After 0s: not processed; retry {} of 2 in 0s"
    unwrapped(result).fnmatch_lines([
        "*Throttled once*", retried.format(429, 1), "*customer    Hi",
        "*agent       How can I help? (state default*",
    ])
    unwrapped(result).fnmatch_lines([
        "*Unavailable once*", retried.format(503, 1), "*customer    Hi",
        "*agent       How can I help? (state default*",
    ])
    unwrapped(result).fnmatch_lines([
        retried.format(429, 1), retried.format(429, 2),
        "*",
        "Cause: step 1 (customer: \"Hi\"): unexpected answer HTTP 429 · error "
        "'too_many_requests' · Retry-After 0s · after 3 attempts from POST /v1/chat/inbound",
    ])
    unwrapped(result).fnmatch_lines([
        "*runner      HTTP 503, Retry-After 120s: over the 30s the runner waits; no retry",
        "*",
        "Cause: step 1 (customer: \"Hi\"): unexpected answer HTTP 503 · error 'Python engine "
        "returned 503 for POST /v1/chat/inbound' · Retry-After 120s from POST /v1/chat/inbound",
    ])
    unwrapped(result).fnmatch_lines([
        "Cause: step 1 (customer: \"Hi\"): unexpected answer HTTP 503 · error 'Python engine "
        "returned 503 for POST /v1/chat/inbound' from POST /v1/chat/inbound",
    ])
    # Without Retry-After a 503 may have been processed: one attempt, no retry line.
    down = result.stdout.str().split("Down without Retry-After")[-1]
    assert "retry" not in down.lower().replace("retry-after", "")


def test_a_refused_connection_is_retried_then_breaks_the_scenario(
        pytester: pytest.Pytester, write: WriteFile, monkeypatch: pytest.MonkeyPatch,
        refused_url: str) -> None:
    write("scenario: Refused\nsteps:\n  - customer: Hi\n---\n"
          "scenario: Next\nsteps:\n  - customer: Hi\n")
    url = refused_url
    result = live(pytester, monkeypatch, url)
    result.assert_outcomes(failed=2)
    unwrapped(result).fnmatch_lines([
        f"*runner      could not connect to {url} (connection refused): nothing was sent; "
        "retry 1 of 2 in 250ms",
        f"*runner      could not connect to {url} (connection refused): nothing was sent; "
        "retry 2 of 2 in 500ms",
        "*",
        f'Cause: step 1 (customer: "Hi"): could not connect to {url} (connection refused) '
        "after 3 attempts",
    ])


def test_an_unknown_host_breaks_the_scenario(pytester: pytest.Pytester, write: WriteFile,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    write("scenario: Nowhere\nsteps:\n  - customer: Hi\n")
    result = live(pytester, monkeypatch, "http://osvi-test.invalid", "--osvi-retries", "0")
    result.assert_outcomes(failed=1)
    unwrapped(result).fnmatch_lines([
        'Cause: step 1 (customer: "Hi"): could not connect to http://osvi-test.invalid '
        "(host name not found)"])


RAW_FAULTS = "\n---\n".join(
    f"scenario: {text}\nsteps:\n  - customer: {text}\n"
    for text in ("truncate", "reset", "cut-json", "drift", "html-200", "fine"))


def test_broken_answers_break_one_scenario_each_and_are_never_resent(
        pytester: pytest.Pytester, write: WriteFile, raw_server: FaultServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    write(RAW_FAULTS)
    url = raw_server.url
    result = live(pytester, monkeypatch, url, "--osvi-timeout", "5s", "-rP")
    result.assert_outcomes(passed=1, failed=5)
    cause = 'Cause: step 1 (customer: "{}"): {}'
    for line in (
        cause.format("truncate", f"{url} broke the connection mid-answer (the server "
                                 "closed the connection after 48 of the 400 bytes its "
                                 "Content-Length announced)"),
        cause.format("reset", f"{url} broke the connection mid-answer (*)"),
        cause.format("cut-json", "the HTTP 200 answer is not valid JSON (Unterminated string "
                                 "starting at: character 41 of 48; it looks cut off)"),
        cause.format("drift", "the answer breaks the API contract at data.reply: 5 is not of "
                              "type string or null (HTTP 200 from POST /v1/chat/inbound)"),
        cause.format("html-200", "the HTTP 200 answer is not JSON: "
                                 "'<html><body>Maintenance</body></html>'"),
    ):
        unwrapped(result).fnmatch_lines([line])
    assert "Traceback" not in result.stdout.str()
    # Each message was sent once: none of these may be retried.
    assert {k: v for k, v in raw_server.seen.items() if not k.startswith("support")} == {
        "truncate": 1, "reset": 1, "cut-json": 1, "drift": 1, "html-200": 1, "fine": 1}
    # The passing scenario's session was closed, and so was the one the drifting answer
    # named (the others never named a session the runner could read).
    assert raw_server.seen["support:close"] == 2
    unwrapped(result).fnmatch_lines([f"*runner      closed session {SESSION} (cleanup)"])


def test_contract_checks_can_be_turned_off(pytester: pytest.Pytester, write: WriteFile,
                                           raw_server: FaultServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    write("scenario: Drift\nsteps:\n  - customer: drift\n")
    live(pytester, monkeypatch, raw_server.url, "--osvi-contract", "off").assert_outcomes(
        passed=1)
    live(pytester, monkeypatch, raw_server.url, "-o", "osvi_contract=strict").assert_outcomes(
        failed=1)


def test_the_request_time_limit_also_holds_on_the_embedded_mock(
        pytester: pytest.Pytester, write: WriteFile) -> None:
    # httpx's in-process (ASGI) transport ignores its timeouts; the client enforces them.
    write("""
        scenario: Slow mock
        mock:
          latency: 20s
        steps:
          - customer: Hi
        """)
    result = pytester.runpytest("--osvi-timeout", "200ms", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    unwrapped(result).fnmatch_lines([
        'Cause: step 1 (customer: "Hi"): no answer from the embedded mock within 200ms '
        "(--osvi-timeout)"])
    assert result.duration < 10
