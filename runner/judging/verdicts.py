"""Reading the judge's answer: tolerant of what real models write.

Code fences, chatter around the JSON, a score as text (``"0.9"``) or as a
percentage (``85``, ``"85%"``: a score over 1 and up to 100 is a percentage)
are all understood. What cannot be read is a :class:`JudgeError` quoting the
start of the answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runner.core.text import flat, shorten
from runner.judging.llm import LLMError
from runner.judging.turns import Turn

_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
_OBJECT = re.compile(r"[\[{].*[\]}]", re.DOTALL)
SCORE_RULE = "from 0 to 1 (or a percentage up to 100)"


class JudgeError(LLMError):
    """The judge could not be asked, or did not answer with a usable verdict."""


@dataclass(frozen=True)
class Verdict:
    score: float
    reason: str
    passed: bool | None = None  # the judge's own opinion; the score decides


@dataclass(frozen=True)
class Evidence:
    step_ref: str  # ``step 2``; empty when the judge named no turn of the conversation
    who: str
    quote: str

    def describe(self) -> str:
        where = f"{self.step_ref} {self.who}".strip()
        return f'{where}: "{self.quote}"' if where else f'"{self.quote}"'


@dataclass(frozen=True)
class CriterionVerdict:
    criterion: str
    score: float
    reason: str
    passed: bool | None = None
    evidence: tuple[Evidence, ...] = ()


def _short(text: str, limit: int = 120) -> str:
    return shorten(flat(text), limit)


def score_of(value: Any) -> float | None:
    """0..1 from a number, a numeric text or a percentage; None when it is none of those."""
    if isinstance(value, bool):
        return None
    percent = False
    if isinstance(value, str):
        text = value.strip()
        percent = text.endswith("%")
        try:
            value = float(text.rstrip("%").strip())
        except ValueError:
            return None
    if not isinstance(value, (int, float)) or value != value:  # NaN
        return None
    number = float(value)
    if percent or 1 < number <= 100:
        number /= 100
    return number if 0 <= number <= 1 else None


def _json(content: str) -> Any:
    text = _FENCE.sub("", content.strip())
    try:
        return json.loads(text)
    except ValueError:
        pass
    found = _OBJECT.search(text)
    if found:
        try:
            return json.loads(found.group(0))
        except ValueError:
            pass
    return score_of(text)  # a bare number is a score without a reason


def parse_verdict(content: str) -> Verdict:
    """The verdict on one reply: ``{"score", "pass", "reason"}``, or just a score."""
    data = _json(content)
    if isinstance(data, (int, float, str)) and not isinstance(data, bool):
        data = {"score": data}
    if not isinstance(data, dict):
        raise JudgeError(f"the judge's answer is not a JSON verdict: {_short(content)!r}")
    score = score_of(data.get("score"))
    if score is None:
        raise JudgeError(f"the judge's verdict has no `score` {SCORE_RULE}: "
                         f"{_short(content)!r}")
    return Verdict(score, _reason(data), _passed(data))


def _reason(data: dict[str, Any]) -> str:
    reason = data.get("reason")
    return _short(reason, 300) if isinstance(reason, str) else ""


def _passed(data: dict[str, Any]) -> bool | None:
    passed = data.get("pass", data.get("passed"))
    return passed if isinstance(passed, bool) else None


def parse_criteria(content: str, criteria: Sequence[str],
                   turns: Sequence[Turn]) -> list[CriterionVerdict]:
    """One verdict per criterion, in the criteria's order, from ``{"criteria": [...]}``.

    Each item names its criterion by number (``"criterion": 2``) or stands in
    the criteria's order; its evidence names turns by number (``"turn": 3``).
    """
    data = _json(content)
    items = data.get("criteria", data.get("verdicts")) if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise JudgeError("the judge's answer has no list of verdicts per criterion: "
                         f"{_short(content)!r}")
    by_number: dict[int, dict[str, Any]] = {}
    for position, item in enumerate(items, start=1):
        number = item.get("criterion")
        key = number if isinstance(number, int) and not isinstance(number, bool) else position
        by_number.setdefault(key, item)
    verdicts = []
    for number, criterion in enumerate(criteria, start=1):
        item = by_number.get(number)
        if item is None:
            raise JudgeError(f"the judge gave no verdict on criterion {number} "
                             f"({_short(criterion, 60)!r}): {_short(content)!r}")
        score = score_of(item.get("score"))
        if score is None:
            raise JudgeError(f"the judge's verdict on criterion {number} has no `score` "
                             f"{SCORE_RULE}: {_short(json.dumps(item), 160)!r}")
        verdicts.append(CriterionVerdict(criterion, score, _reason(item), _passed(item),
                                         _evidence(item.get("evidence"), turns)))
    return verdicts


def _evidence(raw: Any, turns: Sequence[Turn]) -> tuple[Evidence, ...]:
    found = []
    for entry in raw if isinstance(raw, list) else [raw] if raw else []:
        if isinstance(entry, str):
            entry = {"quote": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("quote"), str):
            continue
        number = entry.get("turn")
        turn = (turns[number - 1] if isinstance(number, int) and not isinstance(number, bool)
                and 1 <= number <= len(turns) else None)
        found.append(Evidence(turn.step_ref if turn else "", turn.who if turn else "",
                              _short(entry["quote"], 160)))
    return tuple(found[:5])
