"""What scored matchers use during a run: the embedding model and the run's judge.

One :class:`StepScorer` per checked step, so the judge sees the conversation up
to that step's reply; what the judge's calls use is added to the run's token
use. Scores come back as transcript :class:`Score` entries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from runner.execution.transcript import Score
from runner.judging import semantic
from runner.judging.judge import Judge, JudgeError, Turn, Verdict
from runner.judging.usage import TokenUsage
from runner.language.matchers import Scored, TextMatcher, scores_of

NO_JUDGE = ("no LLM judge is configured: pass --osvi-judge-url URL (or the ini option "
            "osvi_judge_url) and export OSVI_JUDGE_MODEL")


class StepScorer:
    def __init__(self, judge: Judge | None = None,
                 turns: Sequence[Turn] | Callable[[], Sequence[Turn]] = (),
                 usage: TokenUsage | None = None, under_test: str = "") -> None:
        """``turns``: the conversation before the text under test (``under_test`` names
        it), or what builds it: most steps ask no judge, and so never need it."""
        self._judge = judge
        self._turns = turns
        self._usage = usage if usage is not None else TokenUsage()
        self._under_test = under_test

    def similarity(self, reference: str, text: str) -> float:
        return semantic.similarity(reference, text)

    async def judge(self, criteria: str, text: str) -> Verdict:
        if self._judge is None:
            raise JudgeError(NO_JUDGE)
        try:
            turns = tuple(self._turns() if callable(self._turns) else self._turns)
            verdict, used = await self._judge.verdict(criteria, text, turns, self._under_test)
        except JudgeError as error:
            if error.usage is not None:  # an answer came, unusable, but paid for
                self._usage.add(error.usage)
            raise
        self._usage.add(used)
        return verdict


def score(key: str, scored: Scored, *, below: bool = False) -> Score:
    passed = not scored.passed if below else scored.passed
    return Score(key, scored.kind, scored.subject, scored.score, scored.threshold,
                 passed, scored.reason, below, scored.judge_pass)


def collect(key: str, matcher: TextMatcher, *, below: bool = False) -> list[Score]:
    """The scores ``matcher``'s last check produced, labelled with what it checked.

    ``below``: the check passes when the matcher does NOT hold (``reply_never``).
    """
    return [score(key, s, below=below) for s in scores_of(matcher)]
