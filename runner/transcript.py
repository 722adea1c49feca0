"""What a scenario run recorded: the conversation, each step, and the outcome.

The executor fills these as it goes; the failure display, Allure and JUnit read
them afterwards. Nothing here talks to the API or to pytest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from runner.client import Exchange
from runner.model import Scenario, Step

EntryKind = Literal[
    "customer", "agent", "operator", "tell", "whisper", "context", "command", "wait", "error",
]
Outcome = Literal["passed", "failed", "broken", "skipped"]

# Kinds the customer never sees: the chat display marks them as private notes.
PRIVATE_KINDS = frozenset({"tell", "whisper", "context", "command", "wait", "error"})


@dataclass(frozen=True)
class Mismatch:
    """One expectation that did not hold: what the file asked for and what came back."""

    key: str
    expected: str
    actual: str


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

    @property
    def duration(self) -> float:
        return max(0.0, self.stopped - self.started)


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
    outcome: Outcome = "passed"
    cause: str | None = None

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
