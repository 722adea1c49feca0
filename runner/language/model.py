"""The scenario model: what the loader builds and the executor runs.

Values inside steps stay as the author wrote them (placeholders unrendered),
because ``save`` makes some variables known only while the scenario runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from runner.core.text import flat, shorten

ACTIONS = (
    "customer", "takeover", "tell", "whisper", "operator", "end", "close",
    "inject_context", "wait", "simulate", "request",
)
SUPPORT_COMMANDS = ("takeover", "tell", "whisper", "end", "close")
# Actions sent to the support endpoint: its commands and plain operator messages.
SUPPORT_ENDPOINT_ACTIONS = frozenset({*SUPPORT_COMMANDS, "operator"})
# Actions that need a session to exist already.
SESSION_ACTIONS = SUPPORT_ENDPOINT_ACTIONS | {"inject_context"}
# `simulate` makes its calls as turns of its own (runner/execution/simulation.py).
API_ACTIONS = frozenset(ACTIONS) - {"wait", "simulate"}
BUILTIN_VARS = ("customer", "agent", "scenario", "run_id")

# "judge": the scenario-level judge, which reports show as a final step.
Block = Literal["steps", "finally", "judge"]


@dataclass(frozen=True)
class FragmentSpan:
    """Where an included step is written: its fragment file and lines (not their text,
    which reports read when they show a failure), and the includes that brought it."""

    file: str
    line: int
    end_line: int
    via: str  # "refund.scenario.yaml:12" or "a.yaml:3, included from refund.scenario.yaml:12"


@dataclass(frozen=True)
class Step:
    block: Block
    index: int  # 1-based within its block
    action: str
    value: Any
    line: int
    end_line: int
    name: str | None = None
    expect: dict[str, Any] = field(default_factory=dict)
    save: dict[str, str] = field(default_factory=dict)
    session_id: str | None = None
    party: str | None = None  # `as: anna`: the named customer this step acts as
    turn: int = 0  # > 0: a turn a `simulate:` step made (simulated customer or operator)
    by_operator: bool = False  # an action the scenario's `operator:` took after this step
    # From `include:`: "fragments/login.yaml:4, included from refund.scenario.yaml:12"
    # (`line` stays the scenario file's `include:` line, whose source reports show).
    origin: str | None = None
    fragment: FragmentSpan | None = None  # the same, as the file and lines to show

    def where(self, file_name: str) -> str:
        """Where a person finds the step: its fragment's line, or ``file_name:line``."""
        return self.origin if self.origin is not None else f"{file_name}:{self.line}"

    @property
    def ref(self) -> str:
        """``step 3``, ``step 3 turn 2``, ``finally step 1`` or ``judge``: how reports name it."""
        if self.block == "judge":
            return "judge"
        base = f"step {self.index}" if self.block == "steps" else f"finally step {self.index}"
        base = f"{base} turn {self.turn}" if self.turn else base
        return f"{base} operator" if self.by_operator else base

    @property
    def is_api_call(self) -> bool:
        return self.action != "wait"


@dataclass(frozen=True)
class Link:
    url: str
    name: str | None = None
    type: str = "link"


@dataclass(frozen=True)
class RepeatSpec:
    """``repeat: {runs: N, min_pass_rate: 0.8}``: run the conversation N times."""

    runs: int
    min_pass_rate: float | None = None  # None: every run must pass, unless overridden
    confidence: float | None = None  # decide on the Wilson interval's lower bound


@dataclass(frozen=True)
class ConversationJudge:
    """A scenario's ``judge:``: criteria scored on the whole conversation after the last step."""

    criteria: tuple[str, ...]
    min_score: float
    step: Step  # where reports show it: a final step at the line of `judge:`


@dataclass(frozen=True)
class NamedAgent:
    """One of a scenario's ``agents:`` (see ``runner/language/agents.py``)."""

    name: str
    id: str | None  # the agent_uuid live, filled in at load; None: not known (see `missing`)
    missing: str | None = None  # why a live run has no id for it
    mock: dict[str, Any] | None = None  # on the embedded mock (None: the demo agent)
    mock_source: Path | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    file: Path
    line: int
    steps: tuple[Step, ...]
    finally_steps: tuple[Step, ...] = ()
    description: str | None = None
    tags: tuple[str, ...] = ()
    agent: str | None = None
    customer: str | None = None
    customers: dict[str, str | None] = field(default_factory=dict)  # name → id (None: fresh)
    agents: dict[str, NamedAgent] = field(default_factory=dict)  # `agents:` by name
    party_agents: dict[str, str] = field(default_factory=dict)  # party → its agent's name
    variables: dict[str, Any] = field(default_factory=dict)
    row_id: str | None = None
    row: dict[str, Any] = field(default_factory=dict)
    mock: dict[str, Any] | None = None
    mock_source: Path | None = None
    skip: str | None = None
    xfail: str | None = None
    timeout: float | None = None
    feature: str | None = None
    story: str | None = None
    severity: str | None = None
    owner: str | None = None
    links: tuple[Link, ...] = ()
    source_lines: tuple[str, ...] = ()
    repeat: RepeatSpec | None = None
    invariants: dict[str, Any] = field(default_factory=dict)
    judge: ConversationJudge | None = None
    operator: dict[str, Any] | None = None  # `operator:` watching every customer turn
    targets: tuple[str, ...] = ()  # `targets: [mock]`: where it may run; empty: anywhere

    @property
    def test_name(self) -> str:
        return f"{self.name}[{self.row_id}]" if self.row_id is not None else self.name

    def all_steps(self) -> tuple[Step, ...]:
        return self.steps + self.finally_steps


def step_title(action: str, value: Any) -> str:
    """``customer: "I want a refund"``: how a step is named in every report."""
    if value is None:
        return action
    if action == "request" and isinstance(value, dict):  # a raw call: its method and path
        return f"request: {value.get('method')} {shorten(flat(str(value.get('path'))), 70)}"
    text = value if isinstance(value, str) else str(value)
    text = shorten(flat(text), 70)
    return f"{action}: {text}" if action == "wait" else f'{action}: "{text}"'
