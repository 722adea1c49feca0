"""similar_to finds a paraphrase in one part of a long sentence, and no guard lets that
cost what it protects: the issue's targets, measured on the labelled benchmark."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest

from runner.judging import semantic
from runner.judging.guards import check_substitution
from runner.judging.meaning import compare
from runner.judging.textsim import lexical_similarity
from runner.language.matchers import DEFAULT_SIMILARITY

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "meaning" / "evaluate.py"
needs_model = pytest.mark.skipif(not semantic.available(),
                                 reason=f"needs the semantic extra: {semantic.INSTALL_HINT}")


def _words_alike(reference: str, texts: Sequence[str]) -> list[float]:
    """A stand-in for the model: word-sequence similarity, exact and instant."""
    return [lexical_similarity(reference, text) for text in texts]


def test_a_one_sentence_answer_matches_one_part_of_a_longer_sentence() -> None:
    expected = "I've passed your case to our technical team."
    reply = ("I understand this has been going on for a while. I've passed your case to our "
             "technical team, who will call you back within 24 hours about the faulty router.")
    result = compare(expected, reply, _words_alike, 0.9)
    assert result.passage.text == "I've passed your case to our technical team"
    assert result.score > 0.95 and result.failure is None and result.passed(0.9)


def test_a_negation_in_another_part_of_that_sentence_still_reverses_it() -> None:
    expected = "We can deliver to Canada."
    reply = "Thanks for asking. Sadly no, we can deliver to Canada only by sea freight."
    result = compare(expected, reply, _words_alike, 0.5)
    assert result.passage.text == "we can deliver to Canada only by sea freight."
    assert result.failure is not None and result.failure.guard == "polarity"
    assert not result.passed(0.5)
    assert result.failure.describe().startswith('the reply reverses the meaning: it says "')


def test_naming_another_detail_fails_however_alike_the_model_finds_the_words() -> None:
    def alike(a: str, b: str) -> float:
        return 0.9  # the model finds every pair of words related

    failure = check_substitution("I've updated your email address.",
                                 "I've updated your phone number, as you asked.", alike)
    assert failure is not None and failure.guard == "substitution"
    assert failure.missing == "email address" and failure.instead.startswith("phone number")
    assert failure.describe() == (
        f'the reply says "{failure.instead}" where the expected text says "email address", '
        "which is not the same thing")
    # Two names of one detail are the same detail.
    assert check_substitution("Could you confirm your phone number?",
                              "Could you confirm your mobile number?", alike) is None
    assert check_substitution("Bitte nennen Sie Ihre Postleitzahl.",
                              "Bitte nennen Sie Ihre PLZ.", alike) is None


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("meaning_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@needs_model
def test_the_meaning_benchmark_meets_the_issues_targets_at_the_default_threshold() -> None:
    benchmark = _benchmark()
    pairs = benchmark.load()
    assert len(pairs) >= 150
    judged = benchmark.judge(pairs, DEFAULT_SIMILARITY)

    def rate(category: str, same: bool) -> float:
        chosen = [j for j in judged if j.pair.category == category and j.pair.same == same]
        passed: int = sum(benchmark.passes(j, DEFAULT_SIMILARITY) for j in chosen)
        return passed / len(chosen)

    assert rate("paraphrase", True) >= 0.8
    assert rate("paraphrase_long", True) >= 0.8
    for category in ("reversal", "changed_number", "changed_date", "changed_entity"):
        assert rate(category, False) <= 0.1, category
    assert rate("topic_drift", False) == 0.0
