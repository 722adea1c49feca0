"""What a scenario run recorded: the conversation, each step, and the outcome.

The executor fills these as it goes; the failure display, Allure and JUnit read
them afterwards. Nothing here talks to the API or to pytest.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Literal

from runner.core.pass_statistics import (
    DEFAULT_CONFIDENCE,
    lower_bound,
    percent,
    wilson_interval,
)
from runner.core.text import shorten
from runner.execution.exchange import Exchange
from runner.judging.scores import shown
from runner.judging.usage import TokenUsage
from runner.language.model import Scenario, Step, step_title

EntryKind = Literal[
    "customer", "agent", "operator", "tell", "whisper", "context", "command", "wait", "error",
    "system",
]
Outcome = Literal["passed", "failed", "broken", "skipped"]

# Kinds the customer never sees: the chat display marks them as private notes.
# "system" lines are the runner's own doing (a retry, closing sessions at the end).
PRIVATE_KINDS = frozenset({"tell", "whisper", "context", "command", "wait", "error", "system"})


def titled(name: str | None, title: str) -> str:
    """``Ask for a person — customer: "Can I talk to a person?"``."""
    return f"{name} — {title}" if name else title


MISSING = object()  # a field the answer does not have


def show_value(value: Any) -> str:
    """A value as it appears in a mismatch: JSON-like, null spelled out."""
    if value is MISSING:
        return "(not in the answer)"
    if value is None:
        return "null"
    text = json.dumps(value, ensure_ascii=False)
    return shorten(text, 400)


@dataclass(frozen=True)
class Mismatch:
    """One expectation that did not hold: what the file asked for and what came back."""

    key: str
    expected: str
    actual: str


@dataclass(frozen=True)
class Score:
    """A scored check (``similar_to``, ``judge``): shown in every report, pass or fail."""

    key: str  # what was checked: reply, invariant.reply_never...
    kind: str  # similar_to or judge
    subject: str  # the reference text or the judge's criteria
    score: float
    threshold: float
    passed: bool
    reason: str = ""  # the judge's reason
    below: bool = False  # the check wants the score BELOW the threshold (reply_never)
    judge_pass: bool | None = None  # the judge's own verdict, shown; the score decides
    evidence: tuple[str, ...] = ()  # the turns the judge quotes: `step 2 agent: "…"`

    def describe(self) -> str:
        """``reply judge "polite" 0.85 (≥ 0.70) ✓ — it apologises``."""
        mark = "✓" if self.passed else "✗"
        short = shorten(self.subject, 60)
        score, threshold = shown(self.score, self.threshold)  # 0.798 never reads 0.80
        bound = f"< {threshold}" if self.below else f"≥ {threshold}"
        text = f'{self.key} {self.kind} "{short}" {score} ({bound}) {mark}'
        if self.judge_pass is not None:
            text += f" (judge: {'pass' if self.judge_pass else 'fail'})"
        if self.reason:
            text += f" — {self.reason}"
        return text + (" · evidence: " + "; ".join(self.evidence) if self.evidence else "")


@dataclass(frozen=True)
class Entry:
    """One line of the conversation as a person would read it."""

    kind: EntryKind
    text: str | None
    at: float  # seconds since the scenario started
    step: Step
    detail: str = ""

    @property
    def private(self) -> bool:
        return self.kind in PRIVATE_KINDS


@dataclass
class StepRecord:
    step: Step
    title: str
    started: float  # wall clock, seconds since the epoch
    stopped: float = 0.0
    exchange: Exchange | None = None
    mismatches: list[Mismatch] = field(default_factory=list)
    outcome: Outcome = "passed"
    cause: str | None = None  # one line, for a broken step
    scores: list[Score] = field(default_factory=list)
    name: str | None = None  # the step's `name:`, placeholders filled in
    not_judged: bool = False  # broken because the LLM judge could not answer

    @property
    def duration(self) -> float:
        return max(0.0, self.stopped - self.started)

    @property
    def heading(self) -> str:
        """The step as a report titles it: its ``name:`` (when it has one), then the action."""
        return titled(self.name, self.title)


@dataclass
class SimulationRecord:
    """What a ``simulate:`` step did: who played the customer, the seed, why it stopped."""

    ref: str  # `step 3`
    who: str  # `probe internal_notes`, or `persona "…"`
    goal: str
    seed: int
    turns: int = 0
    stopped: str = ""
    goal_reached: bool | None = None  # None: nothing to reach (a probe, no stop_when)
    leak: str = ""  # a probe's finding: where and with what message

    def describe(self) -> str:
        """``step 3 probe supervisor · seed 1 · 4 turns · stopped: …``."""
        return (f"{self.ref} {self.who} · seed {self.seed} · {self.turns} "
                f"turn{'' if self.turns == 1 else 's'} · stopped: {self.stopped}")


_OPERATOR_DONE = {"takeover": "took over at {ref}", "end": "handed back",
                  "close": "closed the session"}
_OPERATOR_COUNTED = {"whisper": "whispered", "operator": "spoke", "tell": "told the agent"}


@dataclass(frozen=True)
class OperatorActionRecord:
    """One action of a scenario's ``operator:``, sent or not."""

    action: str  # the support action: takeover, whisper, operator (a message), tell, end, close
    turn: str  # the customer turn it answered: `step 3`, `step 2 turn 1`
    outcome: str  # "passed", "failed", "broken" or "not sent"
    step: str | None = None  # the step it was sent as (`step 3 operator`); None when not sent
    why: str | None = None  # why it was not sent, or why choosing it broke


def _operator_kind(action: OperatorActionRecord) -> tuple[str, str]:
    """What an operator's action counts as in the summary: any action not sent is one kind."""
    outcome = action.outcome
    return ("", outcome) if outcome == "not sent" else (action.action, outcome)


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


@dataclass
class OperatorRecord:
    """What a scenario's ``operator:`` did, in order: for the run summary."""

    policy: str  # "playbook" or "llm"
    watched: int = 0  # customer turns it saw
    actions: list[OperatorActionRecord] = field(default_factory=list)

    def did(self, action: str) -> bool:
        """Whether it sent ``action`` and the API took it (``end``: handed back)."""
        return any(a.action == action and a.outcome == "passed" for a in self.actions)

    def describe(self) -> str:
        """``took over at step 3, whispered once, handed back``."""
        parts: list[str] = []
        # Actions in a row that read as one are told once, with a count.
        for (action, outcome), group in groupby(self.actions, key=_operator_kind):
            refs = [a.turn for a in group]
            if outcome == "not sent":
                parts.append(f"{len(refs)} action{'' if len(refs) == 1 else 's'} not sent")
            elif outcome != "passed":
                what = "say" if action == "operator" else action
                verb = "broke" if outcome == "broken" else "failed"
                parts += [f"{what} {verb} at {ref}" for ref in refs]
            elif action in _OPERATOR_COUNTED:
                parts.append(f"{_OPERATOR_COUNTED[action]} {_times(len(refs))}")
            else:
                parts += [_OPERATOR_DONE.get(action, action).format(ref=ref) for ref in refs]
        if not parts:
            return f"watched {self.watched} turn{'' if self.watched == 1 else 's'}, did nothing"
        return ", ".join(parts)


@dataclass
class ScenarioResult:
    scenario: Scenario
    target: str
    agent: str = ""
    customer: str = ""
    started: float = 0.0
    stopped: float = 0.0
    entries: list[Entry] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    unclosed: dict[str, str] = field(default_factory=dict)  # session -> why it is still open
    outcome: Outcome = "passed"
    cause: str | None = None
    # Set on the result of a repeated scenario: every run and the pass rates.
    repetition: Repetition | None = None
    # Where a live API refused the token with an unexpected 401 (`step 1 of 'Name'`).
    token_refused: str | None = None
    # What the LLM judge's calls used (a repeated scenario: all its runs).
    llm_usage: TokenUsage = field(default_factory=TokenUsage)
    simulations: list[SimulationRecord] = field(default_factory=list)  # its `simulate:` steps
    operator: OperatorRecord | None = None  # what its scenario-level `operator:` did

    @property
    def failed_step(self) -> StepRecord | None:
        """The first step that failed or broke: the one a report leads with."""
        return next((s for s in self.steps if s.outcome in ("failed", "broken")), None)

    @property
    def not_judged(self) -> bool:
        """The run broke because the LLM judge could not answer: no verdict on the agent."""
        record = self.failed_step
        return record is not None and record.not_judged

    def fail(self, record: StepRecord) -> None:
        if self.outcome == "passed":
            self.outcome = record.outcome
            self.cause = record.cause

    def break_run(self, cause: str) -> None:
        """The run ended without a step to blame (time limit, configuration)."""
        if self.outcome == "passed":
            self.outcome = "broken"
            self.cause = cause


# -- repetition: every run of a repeated scenario, and each step's pass rate -----------

def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "-"


def _runs_list(numbers: list[int]) -> str:
    return ("run " if len(numbers) == 1 else "runs ") + ", ".join(map(str, numbers))


@dataclass(frozen=True)
class StepRate:
    """How one step of the scenario did over all runs."""

    step: Step
    title: str
    passed: list[int]  # run numbers
    failed: list[int]  # failed or broke
    not_reached: list[int]
    runs: int

    @property
    def flaky(self) -> bool:
        return bool(self.failed) and bool(self.passed)

    def describe(self) -> str:
        """``step 3 customer: "…" passed 3/5 (60%) · failed in runs 2, 4``."""
        text = (f"{self.step.ref} {self.title} passed {len(self.passed)}/{self.runs} "
                f"({_percent(len(self.passed), self.runs)})")
        if self.failed:
            text += f" · failed in {_runs_list(self.failed)}"
        if self.not_reached:
            text += f" · not reached in {_runs_list(self.not_reached)}"
        return text


@dataclass
class Repetition:
    runs: list[ScenarioResult]
    min_pass_rate: float
    # Decide on the Wilson interval's lower bound instead of the share of runs.
    confidence: float | None = None
    planned: int = 0  # runs planned; more than were made when the verdict settled early
    stop_reason: str | None = None  # why the runs stopped before `planned`

    @property
    def total(self) -> int:
        """The runs planned (the verdict is over these, even when fewer were needed)."""
        return max(self.planned, len(self.runs))

    @property
    def passed(self) -> int:
        return sum(1 for run in self.runs if run.outcome == "passed")

    @property
    def not_judged(self) -> int:
        """Runs the LLM judge could not judge: neither passed nor failed, out of the rate."""
        return sum(1 for run in self.runs if run.not_judged)

    @property
    def judged(self) -> int:
        return len(self.runs) - self.not_judged

    @property
    def rate(self) -> float:
        """The pass rate of the judged runs."""
        return self.passed / self.judged if self.judged else 0.0

    @property
    def needed(self) -> int:
        """How many of the planned runs must pass (the threshold, rounded up to whole runs)."""
        return math.ceil(self.min_pass_rate * self.total - 1e-9)

    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.passed, self.judged,
                               self.confidence or DEFAULT_CONFIDENCE)

    @property
    def ok(self) -> bool:
        return _verdict(self, self.passed, self.judged, self.not_judged) == "ok"

    @property
    def undecided(self) -> bool:
        """Not enough runs passed, but the runs the judge could not judge would decide it."""
        return _verdict(self, self.passed, self.judged, self.not_judged) == "undecided"

    def settled(self) -> str | None:
        """Why the runs still to come cannot change the verdict; None while they can."""
        left = self.total - len(self.runs)
        if left <= 0:
            return None
        passed, judged, not_judged = self.passed, self.judged, self.not_judged
        verdicts = {_verdict(self, passed + p, judged + p + f, not_judged + left - p - f)
                    for p in range(left + 1) for f in range(left + 1 - p)}
        if len(verdicts) > 1:
            return None
        if self.confidence is None:
            return (f"{passed} passed, the {self.needed} needed" if verdicts == {"ok"}
                    else f"{len(self.runs) - passed} did not pass: "
                         f"{self.needed} passes are out of reach")
        low = lower_bound(passed, judged + left, self.confidence)
        if verdicts == {"ok"}:
            return (f"the lower bound stays at or above {percent(self.min_pass_rate)} "
                    f"(at least {percent(low)}) whatever the other runs give")
        best = lower_bound(passed + left, judged + left, self.confidence)
        return (f"the lower bound stays below {percent(self.min_pass_rate)} "
                f"(at most {percent(best)}) even if every other run passes")

    def summary(self) -> str:
        """``4/5 runs passed (80%; needs at least 80%)``."""
        total = len(self.runs)
        counts = {outcome: sum(1 for r in self.runs if r.outcome == outcome
                               and not r.not_judged) for outcome in ("failed", "broken")}
        counts["not judged"] = self.not_judged
        parts = [f"{self.passed}/{total} runs passed"]
        parts += [f"{n} {outcome}" for outcome, n in counts.items() if n]
        judged = self.judged
        rate = _percent(self.passed, judged) + (f" of {judged} judged" if self.not_judged else "")
        if self.confidence is None:
            need = f"needs at least {round(self.min_pass_rate * 100)}%"
        else:
            low, high = self.interval()
            rate += f", {percent(self.confidence)} interval {percent(low)}-{percent(high)}"
            need = f"needs a lower bound of at least {percent(self.min_pass_rate)}"
        return f"{', '.join(parts)} ({rate}; {need})"

    def statistics(self) -> str:
        """``95% interval 38%-96% · pass^5 33% (rate^5) · all 5 passed: no``."""
        low, high = self.interval()
        k = len(self.runs)
        every = "yes" if self.passed == k else "no"
        return (f"{percent(self.confidence or DEFAULT_CONFIDENCE)} interval "
                f"{percent(low)}-{percent(high)} · pass^{k} {percent(self.rate ** k)} "
                f"(rate^{k}) · all {k} passed: {every}")

    def stopping(self) -> str:
        """How many runs were made, and why no more: ``ran 4 of 10: 4 passed, ...``."""
        made = f"ran {len(self.runs)} of {self.total}"
        return f"{made}: stopped early, {self.stop_reason}" if self.stop_reason else made

    def properties(self) -> list[tuple[str, str]]:
        """The statistics as JUnit properties."""
        low, high = self.interval()
        k = len(self.runs)
        return [("pass_rate_interval", f"{low:.3f}-{high:.3f}"),
                ("pass_rate_confidence", f"{self.confidence or DEFAULT_CONFIDENCE:g}"),
                (f"pass^{k}", f"{self.rate ** k:.3f}"),
                ("all_runs_passed", "true" if self.passed == k else "false"),
                ("runs_made", self.stopping())]

    def step_rates(self) -> list[StepRate]:
        steps = self.runs[0].scenario.all_steps() if self.runs else ()
        judge = self.runs[0].scenario.judge if self.runs else None
        if judge is not None:  # the scenario's judge, as a final step
            steps = (*steps, judge.step)
        rates = []
        for step in steps:
            passed: list[int] = []
            failed: list[int] = []
            missing: list[int] = []
            title = ""
            for number, run in enumerate(self.runs, start=1):
                record = _record_of(run, step)
                if record is None:
                    missing.append(number)
                    continue
                title = title or record.title
                (passed if record.outcome == "passed" else failed).append(number)
            rates.append(StepRate(step, title or _planned(step), passed, failed, missing,
                                  len(self.runs)))
        return rates


def _verdict(repetition: Repetition, passed: int, judged: int, not_judged: int) -> str:
    """"ok", "undecided" (the runs the judge could not judge would decide) or "failed"."""
    def ok(passes: int, out_of: int) -> bool:
        if repetition.confidence is None:
            return passes >= repetition.needed
        return lower_bound(passes, out_of, repetition.confidence) >= \
            repetition.min_pass_rate - 1e-9

    if ok(passed, judged):
        return "ok"
    return "undecided" if ok(passed + not_judged, judged + not_judged) else "failed"


def _record_of(run: ScenarioResult, step: Step) -> StepRecord | None:
    return next((record for record in run.steps if record.step is step), None)


def _planned(step: Step) -> str:
    return step_title(step.action, step.value)
