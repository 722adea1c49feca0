"""What a scenario run recorded: the conversation, each step, and the outcome.

The executor fills these as it goes; the failure display, Allure and JUnit read
them afterwards. Nothing here talks to the API or to pytest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from runner.client import Exchange
from runner.model import Scenario, Step

if TYPE_CHECKING:
    from runner.repeat import Repetition

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

    def describe(self) -> str:
        """``reply judge "polite" 0.85 (≥ 0.70) ✓ — it apologises``."""
        mark = "✓" if self.passed else "✗"
        short = self.subject if len(self.subject) <= 60 else self.subject[:57] + "..."
        bound = f"< {self.threshold:.2f}" if self.below else f"≥ {self.threshold:.2f}"
        text = f'{self.key} {self.kind} "{short}" {self.score:.2f} ({bound}) {mark}'
        return f"{text} — {self.reason}" if self.reason else text


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

    @property
    def duration(self) -> float:
        return max(0.0, self.stopped - self.started)

    @property
    def heading(self) -> str:
        """The step as a report titles it: its ``name:`` (when it has one), then the action."""
        return titled(self.name, self.title)


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

    @property
    def failed_step(self) -> StepRecord | None:
        """The first step that failed or broke: the one a report leads with."""
        return next((s for s in self.steps if s.outcome in ("failed", "broken")), None)

    def fail(self, record: StepRecord) -> None:
        if self.outcome == "passed":
            self.outcome = record.outcome
            self.cause = record.cause

    def break_run(self, cause: str) -> None:
        """The run ended without a step to blame (time limit, configuration)."""
        if self.outcome == "passed":
            self.outcome = "broken"
            self.cause = cause
