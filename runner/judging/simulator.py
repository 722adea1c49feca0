"""An LLM playing the customer: a persona working towards a goal, one message at a time.

The simulator is shown only what a customer sees. Private turns (whispers,
tell guidance, injected context, support commands) are dropped here, before
any prompt is written, so no caller can leak them to it by mistake. The
answer is ``{"message", "done", "reason"}``: ``done`` when the goal is
reached or cannot be (then ``message`` is ignored). Calls go through the
run's :class:`~runner.judging.llm.LLMClient`: cache, replay, retries, usage.
The seed is part of the prompt, so runs with different seeds are different
questions to the cache, and the same seed replays the same conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runner.judging.llm import LLMClient, LLMError
from runner.judging.turns import Turn
from runner.judging.usage import CallUsage
from runner.judging.verdicts import _json

SIMULATOR_LLM = "the customer simulator's LLM"  # how the client's errors name who asked
_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"message": {"type": "string"}, "done": {"type": "boolean"},
                   "goal_reached": {"type": "boolean"}, "reason": {"type": "string"}},
    "required": ["message", "done", "goal_reached", "reason"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Persona:
    persona: str
    goal: str = ""
    language: str = ""
    seed: int = 1


@dataclass(frozen=True)
class NextMessage:
    text: str  # empty when done
    done: bool = False
    goal_reached: bool = False
    reason: str = ""


def visible(turns: Sequence[Turn]) -> list[Turn]:
    """The turns a customer sees: no private ones, no events."""
    return [turn for turn in turns if not turn.private and turn.role != "event"]


def _system(persona: Persona) -> str:
    goal = f" Your goal in this chat: {persona.goal}." if persona.goal else ""
    language = f" Write in {persona.language}." if persona.language else ""
    return (
        "You play a customer writing to a company's support chat, to test its agent. "
        f"Who you are: {persona.persona}.{goal}{language} Write one short, natural chat "
        "message at a time, as that customer would, in reply to the conversation so far. "
        "Never say you are an AI or a test. When the goal is reached, or clearly cannot be, "
        "set done to true. Answer with one JSON object and nothing else: "
        '{"message": "<your next message>", "done": <true or false>, '
        '"goal_reached": <true once the goal is reached>, '
        '"reason": "<why you are done, or an empty string>"} '
        f"(simulation seed {persona.seed})")


def _conversation(turns: Sequence[Turn]) -> str:
    if not turns:
        return "(nothing has been said yet: write the first message)"
    names = {"customer": "You", "agent": "Agent", "operator": "Human operator"}
    lines = []
    for turn in turns:
        text = "(no reply)" if turn.text is None else turn.text
        lines.append(f"{names.get(turn.role, turn.role)}: {text}")
    return "The conversation so far:\n" + "\n".join(lines)


def parse_next(content: str) -> NextMessage:
    data = _json(content)
    if not isinstance(data, dict):
        raise LLMError(f"the customer simulator did not answer with a JSON object: "
                       f"{content[:120]!r}")
    done = data.get("done") is True
    message = data.get("message")
    if not done and (not isinstance(message, str) or not message.strip()):
        raise LLMError("the customer simulator sent no message and did not say it was done")
    reason = data.get("reason")
    return NextMessage("" if done else str(message).strip(), done,
                       data.get("goal_reached") is True, reason if isinstance(reason, str) else "")


async def next_message(client: LLMClient, persona: Persona,
                       turns: Sequence[Turn]) -> tuple[NextMessage, CallUsage]:
    """The customer's next message, given ``turns`` (private ones are dropped here)."""
    messages = [{"role": "system", "content": _system(persona)},
                {"role": "user", "content": _conversation(visible(turns))}]
    return await client.complete(messages, parse_next, schema=_SCHEMA,
                                 schema_name="customer_message", name=SIMULATOR_LLM)
