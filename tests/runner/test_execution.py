"""Every action and expectation, end to end on the embedded mock."""

from __future__ import annotations

import pytest

import runner.execution.executor
from tests.runner.conftest import WriteScenario

BOT = """
mock:
  operator: qa@yourco.com
  initial_context: "Tier: gold"
  replies:
    - when: {whisper: {matches: "."}}
      reply: "Guided: {{ whisper }}"
    - when: {context: {contains: "WhatsApp"}}
      reply: "We'll follow up on WhatsApp."
    - when: "(?i)refund"
      reply: "What's your order number?"
      state: collect_order
    - when: "(?i)human"
      reply: "Getting a colleague."
      help_requested: true
  default_reply: "How can I help?"
"""


def run(pytester: pytest.Pytester, write: WriteScenario, steps: str,
        *args: str) -> pytest.RunResult:
    write("scenario: S\n" + BOT.strip() + "\nsteps:\n" + steps.strip("\n") + "\n")
    return pytester.runpytest("-p", "no:cacheprovider", *args)


PASSING = {
    "customer reply, state, mode, help, session": """
  - customer: "I want a refund"
    expect:
      reply: "What's your order number?"
      state: collect_order
      mode: ai
      help_requested: false
      session: new
  - customer: "a human please"
    expect: {help_requested: true, session: same, state: collect_order}
""",
    "takeover silences the agent; operator; end hands back": """
  - customer: "Hi"
  - takeover: "A human joins"
    expect: {state: ok, active_human: qa@yourco.com}
  - customer: "hello?"
    expect: {reply: null, mode: support}
  - operator: "I'm here"
    expect: {state: ok}
  - end: null
    expect: {state: ok}
  - customer: "bye"
    expect: {reply: "How can I help?", mode: ai}
""",
    "whisper shapes only the next reply": """
  - customer: "Hi"
  - whisper: "offer a voucher"
    expect: {state: ok}
  - customer: "hello"
    expect: {reply: "Guided: offer a voucher"}
  - customer: "hello"
    expect: {reply: "How can I help?"}
""",
    "tell replies at once": """
  - customer: "Hi"
  - tell: "say sorry"
    expect: {state: ok, reply: {contains: "say sorry"}}
""",
    "inject_context returns the bucket": """
  - customer: "Hi"
  - inject_context: "Prefers WhatsApp"
    expect:
      context: ["Tier: gold", "Prefers WhatsApp"]
  - customer: "next?"
    expect: {reply: {contains: WhatsApp}}
""",
    "close, then commands answer invalid": """
  - customer: "Hi"
  - close: null
    expect: {state: ok}
  - end: null
    expect: {state: invalid}
""",
    "error expectations": """
  - customer: "Hi"
  - takeover: null
  - tell: "nope"
    expect:
      error: {status: 422, reason: tell_not_allowed_during_takeover}
      state: rejected
  - takeover: null
    session_id: "no-such-session"
    expect:
      error: {status: 404, code: session_not_found}
""",
    "wait moves the mock clock": """
  - customer: "Hi"
  - wait: 31m
  - whisper: "x"
    expect: {state: dormant}
""",
    "save and session_id": """
  - customer: "Hi"
    save: {sid: session_id, first: reply}
  - customer: "Again: {{ first }}"
    session_id: "{{ sid }}"
    expect: {session: same}
  - end: null
    session_id: "{{ sid }}"
    expect: {state: no_change}
""",
    "within": """
  - customer: "Hi"
    expect: {within: 5s}
""",
}


@pytest.mark.parametrize("steps", PASSING.values(), ids=PASSING.keys())
def test_passing_conversations(pytester: pytest.Pytester, write: WriteScenario,
                               steps: str) -> None:
    result = run(pytester, write, steps)
    result.assert_outcomes(passed=1)


FAILING = {
    "reply": ("""
  - customer: "Hi"
    expect: {reply: {contains: "refund"}}
""", ['  reply  expected: contains "refund"', '           actual: "How can I help?"']),
    "mode": ("""
  - customer: "Hi"
    expect: {mode: support}
""", ['  mode  expected: "support"', '          actual: "ai"']),
    "help_requested": ("""
  - customer: "Hi"
    expect: {help_requested: true}
""", ["  help_requested  expected: true", "                    actual: false"]),
    "state": ("""
  - customer: "refund"
    expect: {state: default}
""", ['  state  expected: equals "default"', '           actual: "collect_order"']),
    "session": ("""
  - customer: "Hi"
  - close: null
  - customer: "Hi"
    expect: {session: same}
""", ["  session  expected: the same session as before (*)"]),
    "active_human": ("""
  - customer: "Hi"
  - takeover: null
    expect: {active_human: boss@yourco.com}
""", ['  active_human  expected: equals "boss@yourco.com"',
      '                  actual: "qa@yourco.com"']),
    "context": ("""
  - customer: "Hi"
  - inject_context: "x"
    expect: {context: {length: 1}}
""", ["  context  expected: has 1 items", '             actual: ["Tier: gold", "x"]']),
    "error that did not happen": ("""
  - customer: "Hi"
    expect: {error: {status: 422}}
""", ["  error  expected: the call fails with HTTP 422",
      "           actual: the call succeeded (HTTP 200)"]),
    "error with another code": ("""
  - customer: "Hi"
  - takeover: null
    session_id: nope
    expect: {error: {status: 404, code: agent_not_found}}
""", ['  error.code  expected: equals "agent_not_found"',
      '                actual: "session_not_found"']),
}


@pytest.mark.parametrize(("steps", "lines"), FAILING.values(), ids=FAILING.keys())
def test_failing_expectations_show_expected_and_actual(
        pytester: pytest.Pytester, write: WriteScenario, steps: str, lines: list[str]) -> None:
    result = run(pytester, write, steps)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(lines)
    assert "Traceback" not in result.stdout.str()


def test_all_mismatches_of_a_step_are_reported_together(pytester: pytest.Pytester,
                                                        write: WriteScenario) -> None:
    result = run(pytester, write, """
  - customer: "Hi"
    expect:
      reply: "nope"
      mode: support
      help_requested: true
""")
    result.stdout.fnmatch_lines(["Mismatches:", "  reply * expected:*", "*actual*",
                                 "  mode * expected:*", "*actual*",
                                 "  help_requested  expected: true"])


def test_failure_shows_the_chat_the_yaml_and_the_mismatch(pytester: pytest.Pytester,
                                                          write: WriteScenario) -> None:
    result = run(pytester, write, """
  - customer: "I want a refund"
  - whisper: "be kind"
  - customer: "Where is it?"
    expect:
      reply: {contains: "on its way"}
  - customer: "never reached"
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "Scenario 'S' (chat.scenario.yaml:1)",
        "  target: embedded mock · agent: agent_mock · customer: osvi-qa-* · session: *",
        "Conversation up to the failing step (whisper, tell, context: never shown to the "
        "customer):",
        "  00:0* step 1  customer    I want a refund",
        "  00:0*         agent       What's your order number?",
        "*(state collect_order · mode ai · *)",
        "  00:0* step 2  whisper     be kind",
        "  00:0* step 3  customer    Where is it?",
        "  00:0*         agent       Guided: be kind",
        "✗ step 3 failed: customer: \"Where is it?\"   (chat.scenario.yaml:20)",
        "  20 |   - customer: \"Where is it?\"",
        "  21 |     expect:",
        "  22 |       reply: {contains: \"on its way\"}",
        "Mismatches:",
        '  reply  expected: contains "on its way"',
        '           actual: "Guided: be kind"',
    ])
    assert "never reached" not in result.stdout.str()


def test_unexpected_http_error_is_an_error_with_status_code_and_reason(
        pytester: pytest.Pytester, write: WriteScenario) -> None:
    result = run(pytester, write, """
  - customer: "Hi"
  - takeover: null
  - tell: "not now"
""")
    # pytest counts any exception while running as failed; Allure calls this one broken.
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "✗ step 3 broke: tell: \"not now\"*",
        "Cause: step 3 (tell: \"not now\"): unexpected answer HTTP 422 · error 'Python engine "
        "returned 422 for POST /v1/chat/session/*/support' · upstream state rejected, "
        "reason tell_not_allowed_during_takeover from POST /v1/chat/session/*/support",
    ])
    assert "Traceback" not in result.stdout.str()


def test_finally_steps_run_after_a_failure(pytester: pytest.Pytester,
                                           write: WriteScenario) -> None:
    write("scenario: S\n" + BOT.strip() + """
steps:
  - customer: "Hi"
    expect: {reply: "wrong"}
finally:
  - close: null
    expect: {state: ok}
""")
    result = pytester.runpytest("-rA")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["Then the finally steps ran:", "*fin 1   command     close → ok*"])


def test_a_failing_finally_step_fails_a_passing_scenario(pytester: pytest.Pytester,
                                                         write: WriteScenario) -> None:
    write("scenario: S\nsteps:\n  - customer: Hi\nfinally:\n  - close: null\n"
          "    expect: {state: no_change}\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["✗ finally step 1 failed: close*"])


def test_examples_rows_fill_variables_with_types(pytester: pytest.Pytester,
                                                 write: WriteScenario) -> None:
    write("scenario: S\n" + BOT.strip() + """
examples:
  - {id: refund, text: "refund please", help: false}
  - {id: human, text: "a human", help: true}
steps:
  - customer: "{{ text }}"
    expect: {help_requested: "{{ help }}"}
""")
    result = pytester.runpytest("-v")
    result.stdout.fnmatch_lines(["*S[[]refund[]] PASSED*", "*S[[]human[]] PASSED*"])


def test_env_variables_in_strings(pytester: pytest.Pytester, write: WriteScenario,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_CUSTOMER", "vip-42")
    write("""
        scenario: S
        customer: "{{ env.SHOP_CUSTOMER }}"
        steps:
          - customer: "I am {{ customer }}"
            expect: {reply: "How can I help?"}
        """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_scenario_timeout_breaks_the_run_with_one_line(pytester: pytest.Pytester,
                                                       write: WriteScenario) -> None:
    write("""
        scenario: Slow agent
        timeout: 300ms
        mock:
          latency: 2s
        steps:
          - customer: "Hi"
        """)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the scenario time limit of 300ms ran out during step 1*"])
    assert "Traceback" not in result.stdout.str()


def test_an_internal_error_is_a_few_lines_not_a_traceback(
        pytester: pytest.Pytester, write: WriteScenario,
        monkeypatch: pytest.MonkeyPatch) -> None:
    write("scenario: S\nsteps:\n  - customer: Hi\n")

    async def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("simulated bug")

    # In-process runs share the module, so the bug is planted for them and removed after.
    monkeypatch.setattr(runner.execution.executor, "check_expectations", broken)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "osvi-scenarios hit an internal error while running this scenario at executor.py:*:",
        "  ZeroDivisionError: simulated bug",
        "This is a bug in osvi-scenarios, not in your scenario: *",
        "FAILED chat.scenario.yaml::S - internal error: ZeroDivisionError: simulated bug",
    ])
    assert "_pytest/" not in result.stdout.str() and "Traceback" not in result.stdout.str()
    result = pytester.runpytest("-p", "no:cacheprovider", "--tb=long")
    assert "raise ZeroDivisionError" in result.stdout.str()
