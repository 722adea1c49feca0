"""The run's transcript as the judge reads it: plain :class:`~runner.judging.turns.Turn` values.

Customer, agent and operator messages in order; whispers, tell guidance and
injected context marked private; support commands and waits as events. Each
turn carries its step and the session's mode and state after that step. Only
the inbound API reports them: the support API's ``state`` is the command's
outcome (``ok``, ``rejected``...), shown on the command's own turn, and its
mode follows from the command (a takeover makes it ``support``, ``end`` makes
it ``ai`` again, as the API documents). The runner's own lines (errors,
retries) are not part of the conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from runner.execution.transcript import Entry, ScenarioResult, StepRecord
from runner.judging.turns import Turn
from runner.language.model import Step

# entry kind -> (role, private, via)
_TURNS: dict[str, tuple[str, bool, str]] = {
    "customer": ("customer", False, ""),
    "agent": ("agent", False, ""),
    "operator": ("operator", False, ""),
    "tell": ("operator", True, "tell"),
    "whisper": ("operator", True, "whisper"),
    "context": ("context", True, "inject_context"),
    "command": ("event", True, "command"),
    "wait": ("event", True, "wait"),
}
_MODE_AFTER = {"takeover": "support", "end": "ai"}


@dataclass(frozen=True)
class _After:
    """The session after a step: its mode and state, and the answer's own ``state``."""

    mode: str | None = None
    state: str | None = None
    outcome: str | None = None


def _facts(records: Sequence[StepRecord]) -> dict[int, _After]:
    """The session after each step, by the id of its step."""
    facts: dict[int, _After] = {}
    mode: str | None = None
    state: str | None = None
    for record in records:
        exchange = record.exchange
        payload = exchange.payload if exchange is not None else {}
        answered = payload.get("state") if isinstance(payload.get("state"), str) else None
        if isinstance(payload.get("mode"), str):
            mode = payload["mode"]
        elif exchange is not None and exchange.ok and record.step.action in _MODE_AFTER:
            mode = _MODE_AFTER[record.step.action]
        if record.step.action == "customer" and answered is not None:
            state = answered
        facts[id(record.step)] = _After(mode, state, answered)
    return facts


def _text(entry: Entry, after: _After) -> str | None:
    if entry.kind == "command":
        outcome = f" → {after.outcome}" if after.outcome else ""
        return f"support command `{entry.text}`{outcome}"
    if entry.kind == "wait":
        return f"time passes: {entry.step.value}"
    return entry.text


def conversation_turns(result: ScenarioResult, *, under_test: Step | None = None) -> list[Turn]:
    """Every turn of the run so far, oldest first.

    ``under_test``: the step whose agent reply is being judged, left out here
    (the judge sees it separately, as the reply under test).
    """
    facts = _facts(result.steps)
    turns = []
    for entry in result.entries:
        found = _TURNS.get(entry.kind)
        if found is None or (entry.kind == "agent" and entry.step is under_test):
            continue
        role, private, via = found
        after = facts.get(id(entry.step), _After())
        turns.append(Turn(role, _text(entry, after), private, after.mode, after.state,
                          entry.step.ref, via))
    return turns
