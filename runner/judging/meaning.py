"""Does a reply say what the expected text says? Embedding score, passages and guards.

The score is the best cosine similarity between the expected text and a passage
of the reply (1..k consecutive sentences, k = the expected text's sentences + 2,
the whole reply, or for a one-sentence text part of a sentence): a greeting before
the answer or a clause after it does not lower it. The guards
(:mod:`runner.judging.guards`) then decide what a score cannot: a changed fact,
a reversed polarity or a word swapped for an unrelated one fails whatever the
score. ``similar_to`` and ``diff`` both judge this way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from runner.judging.guards import (
    GuardFailure,
    check_facts,
    check_polarity,
    check_substitution,
)
from runner.judging.sentences import Passage, passages, sentence_parts, sentences

# How similar ``reference`` is to each text, 0..1, in order.
Similarities = Callable[[str, Sequence[str]], list[float]]


@dataclass(frozen=True)
class Comparison:
    score: float  # the similarity of ``passage`` to the expected text
    passage: Passage  # what of the reply was compared
    failure: GuardFailure | None  # a guard that failed, whatever the score

    def passed(self, threshold: float) -> bool:
        return self.failure is None and self.score >= threshold


def compare(expected: str, reply: str, similarities: Similarities,
            threshold: float, *, best_passage: bool = True) -> Comparison:
    """Judge ``reply`` against ``expected``: the passage to show, its score, a failed guard.

    The passage is the best-scoring one that agrees with the expected text (in
    polarity, without unrelated substitutions), if one reaches ``threshold``; else
    the best-scoring one. ``best_passage=False`` compares the whole reply only (for
    two versions of a reply, where what one adds is a change too).
    """
    expected_sentences = len(sentences(expected))
    longest = expected_sentences + 2 if best_passage else 0
    found = passages(reply, longest)
    if best_passage and expected_sentences == 1:
        found += sentence_parts(reply)  # a one-sentence answer may be one clause of a reply
    scores = similarities(expected, [p.text for p in found])
    # Best first; on a tie the shorter passage, which says less besides.
    ranked = sorted(zip(scores, found, strict=True),
                    key=lambda pair: (-pair[0], pair[1].last - pair[1].first))
    facts = check_facts(expected, reply)

    def pairwise(a: str, b: str) -> float:
        return similarities(a, [b])[0]

    def disagreement(passage: Passage) -> GuardFailure | None:
        # Polarity over the whole sentence: a part may leave its "Unfortunately not" out.
        return (check_polarity(expected, passage.context)
                or check_substitution(expected, passage.text, pairwise))

    first_failure: tuple[float, Passage, GuardFailure] | None = None
    for score, passage in ranked:
        if score < threshold:
            break
        failure = disagreement(passage)
        if failure is None:
            return Comparison(score, passage, facts)
        first_failure = first_failure or (score, passage, failure)
    if first_failure is not None:
        score, passage, failure = first_failure
        return Comparison(score, passage, facts or failure)
    score, passage = ranked[0]
    return Comparison(score, passage, facts or disagreement(passage))
