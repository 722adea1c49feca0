"""What scored matchers use during a run: the embedding model and the run's judge.

One :class:`StepScorer` per checked step, so the judge sees the customer's
message of that step; scores come back as transcript :class:`Score` entries.
"""

from __future__ import annotations

from runner.execution.transcript import Score
from runner.judging import semantic
from runner.judging.judge import Judge, JudgeError, Verdict
from runner.language.matchers import Scored, TextMatcher, scores_of

NO_JUDGE = ("no LLM judge is configured: pass --osvi-judge-url URL (or the ini option "
            "osvi_judge_url) and export OSVI_JUDGE_MODEL")


class StepScorer:
    def __init__(self, judge: Judge | None = None, customer: str | None = None) -> None:
        self._judge = judge
        self._customer = customer

    def similarity(self, reference: str, text: str) -> float:
        return semantic.similarity(reference, text)

    async def judge(self, criteria: str, text: str) -> Verdict:
        if self._judge is None:
            raise JudgeError(NO_JUDGE)
        return await self._judge.verdict(criteria, text, self._customer)


def score(key: str, scored: Scored, *, below: bool = False) -> Score:
    passed = not scored.passed if below else scored.passed
    return Score(key, scored.kind, scored.subject, scored.score, scored.threshold,
                 passed, scored.reason, below)


def collect(key: str, matcher: TextMatcher, *, below: bool = False) -> list[Score]:
    """The scores ``matcher``'s last check produced, labelled with what it checked.

    ``below``: the check passes when the matcher does NOT hold (``reply_never``).
    """
    return [score(key, s, below=below) for s in scores_of(matcher)]
