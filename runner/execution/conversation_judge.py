"""A scenario's ``judge:``: its criteria scored on the whole conversation after the last step.

The verdicts become a final step record (``judge``), so every report shows
them where a person looks for a step: each criterion as a score with the
judge's reason, its own ``pass`` and its evidence (quoted turns and their
steps); a criterion below ``min_score`` is a mismatch that fails the step. A
judge that cannot answer breaks it (``not_judged``): the conversation is
neither passed nor failed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from runner.core.text import quoted
from runner.execution.judge_turns import conversation_turns
from runner.execution.scoring import NO_JUDGE
from runner.execution.transcript import Mismatch, ScenarioResult, Score, StepRecord
from runner.judging.judge import CriterionVerdict, Judge, JudgeError
from runner.judging.scores import shown
from runner.language.model import ConversationJudge


def title(criteria: Sequence[str]) -> str:
    count = f"{len(criteria)} criteri{'on' if len(criteria) == 1 else 'a'}"
    return f"judge: {count} on the whole conversation"


def _score(number: int, verdict: CriterionVerdict, minimum: float) -> Score:
    return Score(f"criterion {number}", "judge", verdict.criterion, verdict.score, minimum,
                 verdict.score >= minimum, verdict.reason, judge_pass=verdict.passed,
                 evidence=tuple(found.describe() for found in verdict.evidence))


def _mismatch(score: Score) -> Mismatch:
    value, threshold = shown(score.score, score.threshold)
    actual = f"score {value}" + (f": {score.reason}" if score.reason else "")
    if score.evidence:
        actual += " · evidence: " + "; ".join(score.evidence)
    return Mismatch(score.key, f"{quoted(score.subject, 100)} (score ≥ {threshold})", actual)


async def judge_conversation(result: ScenarioResult, spec: ConversationJudge,
                             criteria: Sequence[str], judge: Judge | None) -> StepRecord:
    """Ask the judge about every criterion; the record is added to ``result``'s steps.

    ``criteria``: the spec's, with their placeholders filled in.
    """
    record = StepRecord(spec.step, title(criteria), started=time.time())
    result.steps.append(record)
    turns = conversation_turns(result)
    try:
        if judge is None:
            raise JudgeError(NO_JUDGE)
        verdicts, used = await judge.conversation(criteria, turns)
    except JudgeError as error:
        if error.usage is not None:
            result.llm_usage.add(error.usage)
        record.outcome, record.not_judged = "broken", True
        record.cause = f"judge: the LLM judge could not judge the conversation: {error}"
        record.stopped = time.time()
        return record
    result.llm_usage.add(used)
    record.scores = [_score(number, verdict, spec.min_score)
                     for number, verdict in enumerate(verdicts, start=1)]
    record.mismatches = [_mismatch(score) for score in record.scores if not score.passed]
    if record.mismatches:
        record.outcome = "failed"
    record.stopped = time.time()
    return record
