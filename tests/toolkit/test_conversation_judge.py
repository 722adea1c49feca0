"""The judge reads the whole conversation: a step's `judge:` and a scenario's `judge:`.

End to end with pytester, against the fake OpenAI-compatible server of
:mod:`tests.toolkit.fake_llm`: what the judge is shown, how its verdicts are
reported (failure view, chat, summary, JUnit, Allure), what a judge that
cannot answer does to a scenario and to a pass rate, the cache and token use.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.judging import llm
from tests.toolkit.conftest import RunPytest, WriteFile
from tests.toolkit.fake_llm import FakeLLM, Reply, serve_fake_llm, unavailable

KEY = "sk-judge-url-key-31f0c2"

HITL = """
    scenario: Refund with an operator
    mock:
      operator: qa@yourco.com
      replies:
        - when: "(?i)refund"
          reply: "I can help with that. What's your order number?"
          state: collect_order
        - when: "(?i)4711"
          reply: "Thanks, order 4711 is eligible for a refund."
          state: refund_ok
    steps:
      - customer: "I want a refund"
      - whisper: "Offer a 10% voucher instead if they hesitate"
      - takeover: null
      - operator: "Hi, a colleague here. Let me check."
      - end: null
      - tell: "Ask for the order number again"
      - customer: "It is 4711"
        expect:
          reply:
            judge: "Confirms the refund for the order the customer gave"
"""

CONVERSATION = """
    scenario: The refund conversation
    mock:
      replies:
        - when: "(?i)refund"
          reply: "Sure, your refund is on its way!"
          state: refunded
    steps:
      - customer: "I want a refund"
      - customer: "Thanks"
    judge:
      criteria:
        - "The agent asks for the order number before promising a refund"
        - "The agent is polite"
      min_score: 0.7
"""


def _criteria(*items: tuple[float, bool, str, int, str]) -> str:
    return json.dumps({"criteria": [
        {"criterion": n, "score": score, "pass": passed, "reason": reason,
         "evidence": [{"turn": turn, "quote": quote}]}
        for n, (score, passed, reason, turn, quote) in enumerate(items, start=1)]})


VERDICTS = _criteria(
    (0.2, False, "It promised a refund before asking for the order.", 2,
     "Sure, your refund is on its way!"),
    (0.95, True, "Friendly throughout.", 4, "How can I help?"))


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    monkeypatch.setenv("OSVI_JUDGE_MODEL", "judge-model")
    monkeypatch.setattr(llm, "BACKOFF", 0.01)  # retries without the wait
    with serve_fake_llm() as server:
        yield server


# -- a step's judge sees the conversation ------------------------------------------------------


def test_a_steps_judge_sees_every_turn_private_ones_marked_with_mode_and_state(
        write: WriteFile, run: RunPytest, fake: FakeLLM) -> None:
    write(HITL)
    result = run("--osvi-judge-url", fake.url)
    result.assert_outcomes(passed=1)
    [seen] = fake.requests
    user = seen.user
    conversation, reply = user.split("The agent's reply under test (step 7):\n")
    assert reply == "Thanks, order 4711 is eligible for a refund."
    assert "Thanks, order 4711" not in conversation  # the reply under test is shown once
    turns = re.findall(r"^#\d+ \[(.*)\]\n    (.*)$", conversation, re.MULTILINE)
    assert turns == [
        ("step 1 · customer · mode ai · state collect_order", "I want a refund"),
        ("step 1 · agent · mode ai · state collect_order",
         "I can help with that. What's your order number?"),
        ("step 2 · operator (whisper) · PRIVATE: never shown to the customer · mode ai · "
         "state collect_order", "Offer a 10% voucher instead if they hesitate"),
        ("step 3 · event (command) · PRIVATE: never shown to the customer · mode support · "
         "state collect_order", "support command `takeover` → ok"),
        ("step 4 · operator · mode support · state collect_order",
         "Hi, a colleague here. Let me check."),
        ("step 5 · event (command) · PRIVATE: never shown to the customer · mode ai · "
         "state collect_order", "support command `end` → ok"),
        ("step 6 · operator (tell) · PRIVATE: never shown to the customer · mode ai · "
         "state collect_order", "Ask for the order number again"),
        ("step 6 · agent · mode ai · state collect_order",
         "I can help with that. What's your order number?"),
        ("step 7 · customer · mode ai · state refund_ok", "It is 4711"),
    ]
    system = seen.body["messages"][0]["content"]
    assert "PRIVATE were never shown to the customer" in system


# -- a scenario's judge: the whole conversation, one verdict per criterion -----------------------


def test_a_scenarios_judge_fails_with_each_criterion_and_its_evidence(
        write: WriteFile, run: RunPytest, fake: FakeLLM) -> None:
    fake.respond = lambda seen: VERDICTS
    write(CONVERSATION)
    result = run("--osvi-judge-url", fake.url)
    result.assert_outcomes(failed=1)
    [seen] = fake.requests
    assert "1. The agent asks for the order number before promising a refund\n2. The agent " \
           "is polite" in seen.user
    assert "#4 [step 2 · agent · mode ai · state refunded]" in seen.user
    assert seen.body["response_format"]["json_schema"]["name"] == "verdicts"
    result.stdout.fnmatch_lines([
        "*step 2  customer    Thanks",
        "*judge   runner      judge: 2 criteria on the whole conversation → 1 of 2 met",
        "✗ judge failed: judge: 2 criteria on the whole conversation   (chat.scenario.yaml:10)",
        "",
        "  10 | judge:",
        "  11 |   criteria:",
        "  12 |     - \"The agent asks for the order number before promising a refund\"",
        "  13 |     - \"The agent is polite\"",
        "  14 |   min_score: 0.7",
        "",
        "Mismatches:",
        '  criterion 1  expected: "The agent asks for the order number before promising a '
        'refund" (score ≥ 0.70)',
        "                 actual: score 0.20: It promised a refund before asking for the order. "
        '· evidence: step 1 agent: "Sure, your refund is on its way!"',
    ])
    result.stdout.fnmatch_lines(["FAILED chat.scenario.yaml::The refund conversation - judge "
                                 "failed: judge: 2 c*"])
    result.stdout.fnmatch_lines([
        "scores (closest to failing first):",
        '  The refund conversation · judge · criterion 2 judge "The agent is polite" 0.95 '
        '(≥ 0.70) ✓ (judge: pass) — Friendly throughout. · evidence: step 2 agent: "How can '
        'I help?"',
    ])


def test_a_scenarios_judge_takes_a_list_of_criteria_and_shows_its_verdicts_when_it_passes(
        write: WriteFile, run: RunPytest, fake: FakeLLM) -> None:
    fake.respond = lambda seen: _criteria((0.8, True, "Polite.", 2, "Sure"),
                                          (90, False, "Short.", 1, "I want a refund"))
    write(CONVERSATION.replace("""    judge:
      criteria:
        - "The agent asks for the order number before promising a refund"
        - "The agent is polite"
      min_score: 0.7
""", """    judge: ["The agent is polite", "The agent is brief"]
"""))
    result = run("--osvi-judge-url", fake.url, "-rP")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*judge   runner      judge: 2 criteria on the whole conversation → 2 of 2 met",
        '*[[]score] criterion 1 judge "The agent is polite" 0.80 (≥ 0.70) ✓ (judge: pass)',
        '*— Polite. · evidence: step 1 agent: "Sure"',
        '*[[]score] criterion 2 judge "The agent is brief" 0.90 (≥ 0.70) ✓ (judge: fail) —',
    ])


def test_a_scenarios_judge_is_a_final_step_in_allure_and_the_chat(
        write: WriteFile, run: RunPytest, fake: FakeLLM, pytester: pytest.Pytester) -> None:
    fake.respond = lambda seen: VERDICTS
    write(CONVERSATION)
    run("--osvi-judge-url", fake.url, "--alluredir", "allure")
    [result] = [json.loads(p.read_text()) for p in (pytester.path / "allure").glob(
        "*-result.json")]
    last = result["steps"][-1]
    assert last["name"] == "judge: 2 criteria on the whole conversation"
    assert last["status"] == "failed"
    assert {p["name"]: p["value"] for p in last["parameters"]}["criterion 1 judge"] == (
        "0.20 (≥ 0.70) ✗ (judge: fail) — It promised a refund before asking for the order. · "
        'evidence: step 1 agent: "Sure, your refund is on its way!"')
    usage = {p["name"]: p for p in result["parameters"]}["LLM token use"]
    assert usage["value"] == "1 LLM call · 120 tokens in, 30 out"
    assert usage["excluded"] is True  # not part of the history id: runs stay one history
    chat = next(a for a in result["attachments"] if a["name"] == "chat transcript")
    html = (pytester.path / "allure" / chat["source"]).read_text()
    assert 'id="judge-1"' in html and "It promised a refund before asking" in html


def test_a_scenarios_judge_is_not_asked_when_a_step_failed(
        write: WriteFile, run: RunPytest, fake: FakeLLM) -> None:
    write(CONVERSATION.replace('- customer: "Thanks"', '- customer: "Thanks"\n        expect: '
                               '{state: nowhere}'))
    result = run("--osvi-judge-url", fake.url)
    result.assert_outcomes(failed=1)
    assert fake.requests == []


def test_a_scenarios_judge_is_skipped_without_a_judge(write: WriteFile, run: RunPytest) -> None:
    write(CONVERSATION)
    result = run("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED [[]1] chat.scenario.yaml: uses an LLM judge*"])


@pytest.mark.parametrize(("judge", "message"), [
    ("judge: {criteria: [], min_score: 0.7}", "chat.scenario.yaml:6: `criteria` is empty*"),
    ("judge: {criteria: [\"Polite\"], min_score: 2}",
     "chat.scenario.yaml:6: *min_score*"),
    ("judge: {criterion: \"Polite\"}", "chat.scenario.yaml:6: *criterion*did you mean*criteria*"),
    ("judge: 5", "chat.scenario.yaml:6: `judge` must be text, a list or a mapping, not the "
                 "number 5*"),
    ('judge: "Asks for {{ order }}"', "chat.scenario.yaml:6: undefined variable 'order'*"),
])
def test_a_scenarios_judge_is_validated_with_file_and_line(
        judge: str, message: str, write: WriteFile, run: RunPytest) -> None:
    write(f"""
        scenario: S
        mock:
          default_reply: "Hello"
        steps:
          - customer: "Hi"
        {judge}
    """)
    result = run("--collect-only")
    assert result.ret == 2
    result.stdout.fnmatch_lines([message])


# -- a judge that cannot answer: broken, never failed, out of a pass rate --------------------


def test_a_judge_that_cannot_answer_breaks_the_scenario(
        write: WriteFile, run: RunPytest, fake: FakeLLM) -> None:
    fake.script = [unavailable()] * (1 + llm.RETRIES)
    write(CONVERSATION)
    result = run("--osvi-judge-url", fake.url)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "Cause: judge: the LLM judge could not judge the conversation: the judge at "
        "http://127.0.0.1:*/v1/chat/completions answered HTTP 503: server_error: The server "
        "is overloaded or not ready yet.",
    ])
    result.stdout.fnmatch_lines(["all scenarios  *0        0        1        0"])


REPEATED = """
    scenario: Judged again and again
    repeat: {{runs: 3, min_pass_rate: {rate}}}
    mock:
      default_reply: "I'm sorry, I can send a replacement."
    steps:
      - customer: "My blender broke"
        expect:
          reply: {{judge: "Apologises"}}
"""
PASS, FAIL = Reply(content='{"score": 0.9, "pass": true, "reason": "ok"}'), \
    Reply(content='{"score": 0.1, "pass": false, "reason": "no"}')
BROKE = [unavailable()] * (1 + llm.RETRIES)


@pytest.mark.parametrize(("rate", "script", "outcome", "summary"), [
    # 2 of 3 needed; the run the judge could not judge cannot change that: passed.
    ("0.6", [*BROKE, PASS, PASS], "passed",
     "2/3 runs passed, 1 not judged (100% of 2 judged; needs at least 60%) ✓"),
    # 3 of 3 needed; the missing verdict would decide: broken, never failed.
    ("1.0", [PASS, *BROKE, PASS], "broken",
     "2/3 runs passed, 1 not judged (100% of 2 judged; needs at least 100%) ✗"),
    # 2 of 3 needed; two runs failed: failed, whatever the unjudged run would have said.
    ("0.6", [FAIL, *BROKE, FAIL], "failed",
     "0/3 runs passed, 2 failed, 1 not judged (0% of 2 judged; needs at least 60%) ✗"),
])
def test_runs_the_judge_could_not_judge_are_out_of_the_pass_rate(
        rate: str, script: list[Reply], outcome: str, summary: str, write: WriteFile,
        run: RunPytest, fake: FakeLLM) -> None:
    fake.script = list(script)
    write(REPEATED.format(rate=rate))
    result = run("--osvi-judge-url", fake.url, "--osvi-llm-cache-mode", "off")
    counts = {"passed": 0, "failed": 0, "broken": 0}
    counts[outcome] = 1
    result.stdout.fnmatch_lines([f"  Judged again and again: {summary}"])
    result.stdout.fnmatch_lines([
        "all scenarios  " + "  ".join(f"{counts[s]:>7}" for s in ("passed", "failed", "broken"))
        + "        0"])


# -- the cache and token use ----------------------------------------------------------------------


def test_repeat_never_pays_twice_for_the_same_judge_call(
        write: WriteFile, run: RunPytest, fake: FakeLLM, pytester: pytest.Pytester) -> None:
    write(REPEATED.format(rate="1.0"))
    result = run("--osvi-judge-url", fake.url, "--osvi-llm-prices", "1/2",
                 "--junitxml=junit.xml")
    result.assert_outcomes(passed=1)
    assert len(fake.requests) == 1  # the agent answered three times, the judge once
    result.stdout.fnmatch_lines([
        "LLM token use: 3 LLM calls (2 from the cache) · 120 tokens in, 30 out · cost 0.0002",
        "  Judged again and again: 3 LLM calls (2 from the cache) · 120 tokens in, 30 out · "
        "cost 0.0002",
    ])
    case = ET.parse(pytester.path / "junit.xml").getroot().find(".//testcase")
    assert case is not None
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties["llm_calls"] == "3"
    assert properties["llm_cached_calls"] == "2"
    assert properties["llm_tokens_in"] == "120"
    assert properties["llm_tokens_out"] == "30"
    assert properties["llm_cost"] == "0.000180"


def test_the_disk_cache_answers_the_next_run_and_replay_refuses_a_new_question(
        write: WriteFile, run: RunPytest, fake: FakeLLM, tmp_path: Path) -> None:
    cache = str(tmp_path / "llm-cache")
    write(CONVERSATION.replace("min_score: 0.7", "min_score: 0.1"))
    fake.respond = lambda seen: VERDICTS
    run("--osvi-judge-url", fake.url, "--osvi-llm-cache", cache).assert_outcomes(passed=1)
    second = run("--osvi-judge-url", fake.url, "--osvi-llm-cache", cache,
                 "--osvi-llm-cache-mode", "replay")
    second.assert_outcomes(passed=1)
    assert len(fake.requests) == 1
    second.stdout.fnmatch_lines(["LLM token use: 1 LLM call (1 from the cache) · 0 tokens in, "
                                 "0 out"])
    write(CONVERSATION.replace("The agent is polite", "The agent is kind"))
    third = run("--osvi-judge-url", fake.url, "--osvi-llm-cache", cache,
                "--osvi-llm-cache-mode", "replay")
    third.assert_outcomes(failed=1)
    third.stdout.fnmatch_lines(["Cause: judge: the LLM judge could not judge the conversation: "
                                "--osvi-llm-cache-mode replay: no answer in the cache for this "
                                "question to the judge (model judge-model, key *"])
    assert len(fake.requests) == 1


@pytest.mark.parametrize(("args", "ini", "message"), [
    (("--osvi-llm-prices", "cheap"), "",
     "ERROR: --osvi-llm-prices: 'cheap' is not two prices; write the prices per million "
     "input and output tokens as IN/OUT, e.g. --osvi-llm-prices 0.15/0.60"),
    (("--osvi-llm-cache-mode", "replay"), "",
     "ERROR: --osvi-llm-cache-mode replay answers only from the cache: name its folder with "
     "--osvi-llm-cache DIR"),
    ((), "osvi_llm_cache_mode = sometimes",
     "ERROR: --osvi-llm-cache-mode: 'sometimes' is not one of use, refresh, off, replay"),
])
def test_bad_cache_and_price_options_stop_the_run_with_the_fix(
        args: tuple[str, ...], ini: str, message: str, write: WriteFile, run: RunPytest,
        pytester: pytest.Pytester) -> None:
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    write(CONVERSATION)
    result = run(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_a_key_in_the_judge_url_is_a_bearer_key_and_never_shown(
        write: WriteFile, run: RunPytest, fake: FakeLLM, pytester: pytest.Pytester) -> None:
    fake.script = [Reply(content=json.dumps({"score": 0.1, "pass": False,
                                             "reason": f"called with {KEY}"}))]
    write(REPEATED.format(rate="1.0").replace("    repeat: {runs: 3, min_pass_rate: 1.0}\n", ""))
    result = run("--osvi-judge-url", fake.url.replace("http://", f"http://judge:{KEY}@"),
                 "--junitxml=junit.xml")
    result.assert_outcomes(failed=1)
    [seen] = fake.requests
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert "called with «redacted»" in result.stdout.str()
    assert KEY not in result.stdout.str() + result.stderr.str()
    assert KEY not in (pytester.path / "junit.xml").read_text()
