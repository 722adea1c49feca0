"""An LLM playing the human operator: a persona with instructions, one action at a time.

Unlike the customer simulator, the operator sees everything an operator sees:
every turn, the private ones (whispers, tell guidance, injected context,
support commands) marked as such, and the session's mode, state and
``help_requested``. Its answer is one action, asked for as structured output
and read tolerantly: ``{"action", "text", "reason"}`` where ``action`` is one of
:data:`ACTIONS`. Calls go through the run's :class:`~runner.judging.llm.LLMClient`
(cache, replay, retries, usage, ``--osvi-llm-rate``); the seed is part of the
prompt, so the same seed replays the same decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runner.core.text import flat, shorten
from runner.judging.llm import LLMClient, LLMError
from runner.judging.turns import Turn, transcript
from runner.judging.usage import CallUsage
from runner.judging.verdicts import _json

OPERATOR_LLM = "the operator simulator's LLM"  # how the client's errors name who asked
# What the operator may do; `say` is a plain operator message (the `operator` step).
ACTIONS = ("nothing", "takeover", "whisper", "say", "tell", "end", "close")
NEEDS_TEXT = frozenset({"whisper", "say", "tell"})
_ALIASES = {"none": "nothing", "": "nothing", "wait": "nothing", "message": "say",
            "operator": "say", "hand_back": "end"}

_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"action": {"type": "string", "enum": list(ACTIONS)},
                   "text": {"type": "string"}, "reason": {"type": "string"}},
    "required": ["action", "text", "reason"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class OperatorPersona:
    persona: str
    instructions: str = ""
    seed: int = 1


@dataclass(frozen=True)
class Situation:
    """The session as the operator sees it now."""

    mode: str | None  # ai or support
    state: str | None
    help_requested: bool
    actions_left: int


@dataclass(frozen=True)
class OperatorAction:
    action: str  # one of ACTIONS
    text: str = ""
    reason: str = ""


def _system(persona: OperatorPersona) -> str:
    instructions = (f" Your instructions: {persona.instructions}."
                    if persona.instructions else "")
    return (
        "You play a human support operator who supervises a company's AI chat agent, to test "
        f"it. Who you are: {persona.persona}.{instructions} After each customer message and "
        "the agent's reply you choose exactly one action: `nothing` (let the agent go on), "
        "`takeover` (you take the chat over; the agent stops replying), `whisper` (private "
        "guidance for the agent's next reply, never shown to the customer; needs text), "
        "`tell` (guidance that makes the agent reply at once; needs text), `say` (your own "
        "message to the customer; only while you hold the chat, after `takeover`; needs "
        "text), `end` (hand the chat back to the agent) or `close` (close the chat for good). "
        "You are asked again after each action you take, until you choose `nothing`. Answer "
        'with one JSON object and nothing else: {"action": "<one of nothing, takeover, '
        'whisper, say, tell, end, close>", "text": "<the text, or an empty string>", '
        f'"reason": "<why, briefly>"}} (simulation seed {persona.seed})')


def _user(turns: Sequence[Turn], now: Situation) -> str:
    flag = "true" if now.help_requested else "false"
    return (
        "The whole conversation so far, oldest first (turns marked PRIVATE were never shown to "
        f"the customer):\n{transcript(turns)}\n\nNow: mode {now.mode or 'ai'} (support: you "
        f"hold the chat; ai: the agent answers), state {now.state or 'unknown'}, "
        f"help_requested {flag}. You may take {now.actions_left} more action(s). "
        "Your next action:")


def parse_action(content: str) -> OperatorAction:
    """One action from the model's answer; an answer that names none is unusable."""
    data = _json(content)
    if not isinstance(data, dict):
        raise LLMError(f"the operator simulator did not answer with a JSON object: "
                       f"{shorten(flat(content), 120)!r}")
    raw = data.get("action")
    action = str(raw).strip().lower() if isinstance(raw, str) or raw is None else ""
    action = _ALIASES.get(action, action)
    if action not in ACTIONS:
        raise LLMError(f"the operator simulator chose no known action ({raw!r}); it must be "
                       f"one of {', '.join(ACTIONS)}")
    text, reason = data.get("text"), data.get("reason")
    return OperatorAction(action, text.strip() if isinstance(text, str) else "",
                          reason if isinstance(reason, str) else "")


async def next_action(client: LLMClient, persona: OperatorPersona, turns: Sequence[Turn],
                      now: Situation) -> tuple[OperatorAction, CallUsage]:
    """The operator's next action after ``turns``, private ones included."""
    messages = [{"role": "system", "content": _system(persona)},
                {"role": "user", "content": _user(turns, now)}]
    return await client.complete(messages, parse_action, schema=_SCHEMA,
                                 schema_name="operator_action", name=OPERATOR_LLM)
