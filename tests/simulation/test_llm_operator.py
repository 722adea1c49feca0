"""The LLM operator end to end against the fake OpenAI-compatible server: its actions go
through the support endpoint, it sees private turns, replay is deterministic, and an
action it cannot take is not sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import RunPytest, WriteFile
from tests.toolkit.fake_llm import FakeLLM, Reply, Seen, fenced

CONTEXT = "Earlier call: VIP customer, reference CTX-5521."
WHISPER = "Offer the voucher code GOLD-7731."

SCRIPTED = f"""
    scenario: The LLM operator takes over, whispers and hands back
    mock:
      operator: qa@yourco.com
      replies:
        - when: "(?i)person"
          reply: "Let me get a colleague."
          help_requested: true
        - when: {{whisper: {{matches: "."}}}}
          reply: "Good news: {{{{ whisper }}}}"
        - reply: "How can I help?"
    operator:
      policy: llm
      persona: "Sam, a senior support operator"
      instructions: "Take over when the agent asks for help, whisper the voucher, hand back"
    steps:
      - customer: "Hello"
      - inject_context: "{CONTEXT}"
      - customer: "I want to talk to a person"
      - customer: "Thanks"
        expect:
          reply: {{contains: "GOLD-7731"}}
"""

SIMULATED = f"""
    scenario: An LLM customer and an LLM operator
    mock:
      operator: qa@yourco.com
      replies:
        - when: "(?i)person"
          reply: "Let me get a colleague."
          help_requested: true
        - when: {{whisper: {{matches: "."}}}}
          reply: "I can offer you a voucher."
        - reply: "How can I help?"
    steps:
      - customer: "Hello"
      - inject_context: "{CONTEXT}"
      - simulate:
          persona: "A customer who wants a person"
          max_turns: 2
          operator:
            policy: llm
            persona: "Sam, a senior support operator"
            max_actions: 3
"""


def _flat(path: str) -> str:
    return " ".join(Path(path).read_text(encoding="utf-8").split())


def _act(action: str, text: str = "") -> str:
    return json.dumps({"action": action, "text": text, "reason": "test"})


def _is_operator(seen: Seen) -> bool:
    return str(seen.body["messages"][0]["content"]).startswith("You play a human support operator")


def _respond(operator: list[str], customer: list[str] | None = None) -> Callable[[Seen], str]:
    """Operator answers in order (then `nothing`); customer messages in order (then done)."""
    def respond(seen: Seen) -> str:
        if _is_operator(seen):
            return operator.pop(0) if operator else _act("nothing")
        text = customer.pop(0) if customer else ""
        return json.dumps({"message": text, "done": not text, "goal_reached": False,
                           "reason": ""})
    return respond


TAKE_OVER = [_act("nothing"), _act("takeover"), _act("whisper", WHISPER),
             _act("say", "Hi, Sam here."), _act("end")]



def test_the_llm_operator_takes_over_whispers_speaks_and_hands_back_and_the_whisper_works(
        write: WriteFile, run: RunPytest, fake: FakeLLM) -> None:
    fake.respond = _respond(list(TAKE_OVER))
    write(SCRIPTED)
    result = run("--osvi-judge-url", fake.url, "--junitxml", "junit.xml")
    result.assert_outcomes(passed=1)
    junit = _flat("junit.xml")
    for line in ("simulated operator: operator llm: \"Sam, a senior support operator\", up to 6 "
                 "actions · seed 1",
                 "step 3 operator command takeover → ok",
                 f"step 3 operator whisper {WHISPER} (→ ok",
                 "step 3 operator operator Hi, Sam here. (→ ok",
                 "step 3 operator command end → ok",
                 f"agent Good news: {WHISPER}"):  # the agent took the whisper
        assert line in junit, line
    assert "step 1 operator" not in junit  # it chose `nothing` after step 1
    operator_calls = [seen for seen in fake.requests if _is_operator(seen)]
    # After step 1; four actions in a row after step 3 (then it must wait); after step 4.
    assert len(operator_calls) == 6
    first = operator_calls[0]
    assert first.body["response_format"]["json_schema"]["name"] == "operator_action"
    assert "(simulation seed 1)" in first.body["messages"][0]["content"]
    assert "help_requested false" in first.user and "help_requested true" in operator_calls[1].user
    # It sees what an operator sees: the private context, marked, and its own whisper.
    assert CONTEXT in operator_calls[1].user and "PRIVATE" in operator_calls[1].user
    assert WHISPER in operator_calls[3].user and "mode support" in operator_calls[3].user


def test_the_operator_sees_private_turns_and_the_customer_simulator_never_does(
        write: WriteFile, run: RunPytest, fake: FakeLLM) -> None:
    fake.respond = _respond([_act("takeover"), _act("whisper", WHISPER), _act("end")],
                            ["Can I talk to a person?", "And now?"])
    write(SIMULATED)
    result = run("--osvi-judge-url", fake.url, "--junitxml", "junit.xml")
    result.assert_outcomes(passed=1)
    junit = _flat("junit.xml")
    assert "step 3 turn 1 command takeover → ok" in junit
    assert "step 3 turn 2 customer And now? (simulated)" in junit
    assert "agent I can offer you a voucher." in junit
    operator = [seen.user for seen in fake.requests if _is_operator(seen)]
    customer = [json.dumps(seen.body) for seen in fake.requests if not _is_operator(seen)]
    assert len(customer) == 2 and operator
    assert CONTEXT in operator[0] and WHISPER in operator[-1]
    for sent in customer:
        assert "CTX-5521" not in sent and "GOLD-7731" not in sent
    # max_actions: 3 — after takeover, whisper and end it is asked no more.
    assert len(operator) == 3
    assert "operator simulator: all 3 actions used" in junit


def test_a_replay_run_makes_the_same_decisions_without_a_call_and_a_miss_names_the_step(
        write: WriteFile, run: RunPytest, fake: FakeLLM, pytester: pytest.Pytester) -> None:
    fake.respond = _respond(list(TAKE_OVER))
    write(SCRIPTED)
    first = run("--osvi-judge-url", fake.url, "--osvi-llm-cache", "cache",
                "--osvi-transcripts", "first")
    first.assert_outcomes(passed=1)
    asked = len(fake.requests)
    again = run("--osvi-judge-url", fake.url, "--osvi-llm-cache", "cache",
                "--osvi-llm-cache-mode", "replay", "--osvi-transcripts", "again")
    again.assert_outcomes(passed=1)
    assert len(fake.requests) == asked  # nothing asked: every decision came from the cache

    def steps(folder: str) -> list[tuple[str, str]]:
        [stored] = (pytester.path / folder).glob("*.json")
        run_ = json.loads(stored.read_text(encoding="utf-8"))["runs"][0]
        return [(step["ref"], step["title"]) for step in run_["steps"]]
    assert steps("first") == steps("again")
    assert ("step 3 operator", f'whisper: "{WHISPER}"') in steps("again")

    write(SCRIPTED.replace("Sam, a senior", "Alex, a senior"))  # a question never asked
    missed = run("--osvi-judge-url", fake.url, "--osvi-llm-cache", "cache",
                 "--osvi-llm-cache-mode", "replay")
    missed.assert_outcomes(failed=1)
    assert len(fake.requests) == asked
    out = missed.stdout.str()
    assert ("step 1 operator (operator simulator): the operator simulator could not choose an "
            "action: --osvi-llm-cache-mode replay: no answer in the cache for this question to "
            "the operator simulator's LLM") in " ".join(out.split())
    assert "judge" not in out.split("Cause:")[1].split("\n")[0]


def test_an_action_it_cannot_take_is_not_sent_and_a_runner_line_says_why(
        write: WriteFile, run: RunPytest, fake: FakeLLM) -> None:
    fake.respond = _respond([_act("say", "Hello from Sam"), _act("whisper")])
    write(SCRIPTED.replace('reply: {contains: "GOLD-7731"}', "state: default"))
    result = run("--osvi-judge-url", fake.url, "--junitxml", "junit.xml")
    result.assert_outcomes(passed=1)
    junit = _flat("junit.xml")
    assert ("operator simulator: `say` not sent: the operator speaks only while holding the "
            "chat: `takeover` first") in junit
    assert "operator simulator: `whisper` not sent: it needs a text and the model gave none" \
        in junit
    assert "Hello from Sam (→" not in junit and "operator command" not in junit


def test_an_answer_naming_no_action_breaks_the_scenario_saying_so(
        write: WriteFile, run: RunPytest, fake: FakeLLM) -> None:
    fake.respond = _respond([_act("escalate")])
    write(SCRIPTED)
    result = run("--osvi-judge-url", fake.url)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*step 1 operator (operator simulator): the operator simulator could not choose an "
        "action: the operator simulator chose no known action ('escalate')*"])


def test_a_server_without_structured_output_is_read_tolerantly(
        write: WriteFile, run: RunPytest, fake: FakeLLM) -> None:
    fake.json_schema = False
    answers = [fenced({"action": "nothing"}), "Sure! " + _act("takeover") + " Done.",
               fenced({"action": "Whisper", "text": WHISPER}), _act("hand_back")]
    fake.respond = lambda seen: answers.pop(0) if answers else _act("nothing")
    write(SCRIPTED)
    result = run("--osvi-judge-url", fake.url, "--junitxml", "junit.xml")
    result.assert_outcomes(passed=1)
    assert "step 3 operator command end → ok" in _flat("junit.xml")


def test_an_llm_operator_without_an_llm_is_skipped_saying_what_to_configure(
        write: WriteFile, run: RunPytest) -> None:
    write(SCRIPTED)
    write(SIMULATED.replace("persona: \"A customer who wants a person\"", "probe: supervisor"),
          "inner.scenario.yaml")
    result = run("-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*`operator:` with `policy: llm`*--osvi-judge-url*"
                                 "OSVI_JUDGE_MODEL*"] * 2)


def test_simulator_errors_name_the_simulator_not_the_judge(
        write: WriteFile, run: RunPytest, fake: FakeLLM) -> None:
    fake.script = [Reply(status=500, error={"error": "boom"})] * 3
    write(SIMULATED)
    result = run("--osvi-judge-url", fake.url)
    result.assert_outcomes(failed=1)
    cause = " ".join(result.stdout.str().split("Cause:")[1].split())
    assert ("step 3 turn 1 (simulate: \"A customer who wants a person\"): the customer simulator "
            "could not write the message: the customer simulator's LLM at") in cause
    assert "judge" not in cause.split("===")[0]


EXAMPLES = Path(__file__).resolve().parents[2] / "scenarios" / "simulation"


def test_the_llm_operator_example_runs_end_to_end_against_the_fake_llm(
        write: WriteFile, run: RunPytest, fake: FakeLLM) -> None:
    fake.respond = _respond([_act("nothing"), _act("takeover"),
                             _act("whisper", "Refunds under 50 euros need no photo."),
                             _act("say", "Hi, Sam here."), _act("end")])
    write((EXAMPLES / "llm-operator.scenario.yaml").read_text(encoding="utf-8"))
    result = run("--osvi-judge-url", fake.url, "--junitxml", "junit.xml")
    result.assert_outcomes(passed=1)
    junit = _flat("junit.xml")
    assert "step 3 operator whisper Refunds under 50 euros need no photo." in junit
    assert "agent I can refund that for you right away." in junit
    assert "Order 4711, 30 euros" in [seen for seen in fake.requests if _is_operator(seen)][1].user
