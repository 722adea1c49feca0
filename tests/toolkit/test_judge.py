"""The LLM judge, against a fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import pytest

from runner.judging import llm
from runner.judging.judge import JudgeError, parse_verdict
from tests.toolkit.conftest import FakeJudge, RunPytest, WriteFile

SCENARIO = """
    scenario: Empathy
    mock:
      default_reply: "I'm sorry it broke. I can send a replacement."
    steps:
      - customer: "My blender arrived broken"
        expect:
          reply:
            judge: {criteria: "Apologises and offers a remedy", min_score: 0.7}
"""
KEY = "sk-judge-secret-123456"


@pytest.fixture(autouse=True)
def _judge_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSVI_JUDGE_MODEL", "judge-model")
    monkeypatch.setattr(llm, "BACKOFF", 0.01)  # retries, without the wait


def test_without_a_judge_the_scenario_is_skipped_and_says_why(write: WriteFile,
                                                              run: RunPytest) -> None:
    write(SCENARIO)
    result = run("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED [[]1] chat.scenario.yaml: uses an LLM judge (`judge:`), "
                                 "and none is configured: pass --osvi-judge-url*"])


def test_a_passing_verdict_and_its_reason_are_shown(write: WriteFile, run: RunPytest,
                                                    judge: FakeJudge,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSVI_JUDGE_API_KEY", KEY)
    write(SCENARIO)
    result = run("-rP", "--osvi-judge-url", judge.url)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        '*[[]score] reply judge "Apologises and offers a remedy" 0.90 (≥ 0.70) ✓ (judge:',
        "*pass) — The reply apologises and offers a replacement.",
    ])
    result.stdout.fnmatch_lines([
        "scores (closest to failing first):",
        '  Empathy · step 1 · reply judge "Apologises and offers a remedy" 0.90 (≥ 0.70) ✓ '
        "(judge: pass) — The reply apologises and offers a replacement.",
    ])
    [request] = judge.requests
    assert request["headers"]["authorization"] == f"Bearer {KEY}"
    assert request["body"]["model"] == "judge-model"
    user = request["body"]["messages"][1]["content"]
    assert "Apologises and offers a remedy" in user and "My blender arrived broken" in user
    assert "I can send a replacement." in user


def test_a_low_score_fails_with_the_judges_reason(write: WriteFile, run: RunPytest,
                                                  judge: FakeJudge) -> None:
    judge.score, judge.reason = 0.2, "No apology."
    write(SCENARIO)
    result = run("--osvi-judge-url", judge.url)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        '  reply  expected: judge "Apologises and offers a remedy" (≥ 0.70) — score 0.20: '
        "No apology.",
    ])


def test_the_key_is_redacted_even_when_the_judge_echoes_it(write: WriteFile, run: RunPytest,
                                                           judge: FakeJudge,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           pytester: pytest.Pytester) -> None:
    monkeypatch.setenv("OSVI_JUDGE_API_KEY", KEY)
    judge.score, judge.reason = 0.1, f"I was called with {KEY}"
    write(SCENARIO)
    result = run("--osvi-judge-url", judge.url, "--junitxml=junit.xml",
                 "--osvi-transcripts=transcripts")
    result.assert_outcomes(failed=1)
    assert "I was called with «redacted»" in result.stdout.str()
    written = [result.stdout.str(), (pytester.path / "junit.xml").read_text()]
    written += [p.read_text() for p in (pytester.path / "transcripts").iterdir()]
    assert all(KEY not in text for text in written)


@pytest.mark.parametrize(("setup", "cause"), [
    ({"content": "Looks fine to me!"},
     "the judge's answer is not a JSON verdict: 'Looks fine to me!'"),
    ({"status": 500}, "the judge at http://127.0.0.1:*/v1/chat/completions answered HTTP 500*"),
    ({"content": '{"score": 170, "reason": "great"}'},
     "the judge's verdict has no `score` from 0 to 1 (or a percentage up to 100)*"),
    ({"delay": 2.0}, "no answer from the judge at http://127.0.0.1:*/v1/chat/completions "
                     "within 1s (3 attempts)"),
])
def test_judge_problems_break_the_step_with_one_line(setup: dict[str, object], cause: str,
                                                     write: WriteFile, run: RunPytest,
                                                     judge: FakeJudge) -> None:
    for name, value in setup.items():
        setattr(judge, name, value)
    write(SCENARIO)
    result = run("--osvi-judge-url", judge.url, "--osvi-timeout", "1s")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f'Cause: step 1 (customer: "My blender arrived broken"): the '
                                 f"LLM judge could not judge the reply: {cause}"])


def test_a_judge_url_needs_a_model(write: WriteFile, run: RunPytest,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OSVI_JUDGE_MODEL")
    write(SCENARIO)
    result = run("--osvi-judge-url", "http://127.0.0.1:9/v1")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--osvi-judge-url needs a model name: export "
                                 "OSVI_JUDGE_MODEL=<model>*"])


def test_verdicts_in_code_fences_or_with_chatter_are_understood() -> None:
    assert parse_verdict('```json\n{"score": 0.8, "pass": true, "reason": "ok"}\n```').score \
        == 0.8
    assert parse_verdict('Verdict: {"score": 1, "reason": "fine"} Thanks').reason == "fine"
    with pytest.raises(JudgeError):
        parse_verdict('{"score": "high"}')


def test_judge_is_refused_in_a_mock_rule(write: WriteFile, run: RunPytest) -> None:
    write("""
        scenario: S
        mock:
          replies:
            - when: {judge: "is polite"}
              reply: "Hi"
        steps:
          - customer: "Hi"
    """)
    result = run()
    assert result.ret == 2
    result.stdout.fnmatch_lines(["chat.scenario.yaml:4: *judge*"])
