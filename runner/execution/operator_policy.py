"""The simulated operator's policies: a fixed playbook, or an LLM with a persona.

The playbook is deterministic, so it runs offline: take over once a reply asks
for help (or after a number of customer turns), whisper a hint, say something
to the customer, hand back with ``end`` (the conversation goes on) or ``close``
(a simulation stops). The LLM operator (``policy: llm``) decides one action at
a time (:mod:`runner.judging.operator_simulator`). Either way each action
becomes a support step of its own, sent to the real support endpoint and
checked like a scripted one (:mod:`runner.execution.operators`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runner.core.text import quoted

DEFAULT_MAX_ACTIONS = 6

@dataclass(frozen=True)
class Playbook:
    on_help: bool = False
    after: int | None = None  # take over after this many customer turns it watched
    whisper: str | None = None
    say: str | None = None
    hand_back: str = "end"  # or close

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> Playbook | None:
        """From a schema-valid ``operator:`` block; None when there is none."""
        if not spec:
            return None
        take_over = spec.get("take_over")
        return cls(on_help=take_over == "on_help",
                   after=take_over.get("after") if isinstance(take_over, Mapping) else None,
                   whisper=spec.get("whisper"), say=spec.get("say"),
                   hand_back=spec.get("hand_back", "end"))

    def due(self, turn: int, answer: Mapping[str, Any]) -> bool:
        """Whether the operator steps in after simulated ``turn``, whose answer is ``answer``."""
        if self.on_help:
            return answer.get("help_requested") is True
        return self.after is not None and turn >= self.after

    def actions(self) -> list[tuple[str, str | None]]:
        """The support actions, in order: (action, text)."""
        steps: list[tuple[str, str | None]] = [("takeover", None)]
        if self.whisper:
            steps.append(("whisper", self.whisper))
        if self.say:
            steps.append(("operator", self.say))
        steps.append((self.hand_back, None))
        return steps

    def describe(self) -> str:
        when = "when the agent asks for help" if self.on_help else f"after turn {self.after}"
        return f"operator playbook: takes over {when}, hands back with `{self.hand_back}`"


@dataclass(frozen=True)
class LLMOperator:
    """``policy: llm``: a model playing the operator, asked after every customer turn."""

    persona: str
    instructions: str = ""
    max_actions: int = DEFAULT_MAX_ACTIONS  # actions in all (`nothing` is free)
    seed: int | None = None  # None: the simulation's seed, or the run number

    def describe(self) -> str:
        return (f"operator llm: {quoted(self.persona, 120)}, up to {self.max_actions} "
                f"actions")


Policy = Playbook | LLMOperator


def is_llm(spec: Any) -> bool:
    """Whether an ``operator:`` value asks for the LLM operator."""
    return isinstance(spec, Mapping) and (spec.get("policy") == "llm" or "persona" in spec)


def policy_from(spec: Mapping[str, Any] | None) -> Policy | None:
    """The policy of a schema-valid ``operator:`` block; None when there is none."""
    if not spec:
        return None
    if is_llm(spec):
        seed = spec.get("seed")
        return LLMOperator(str(spec.get("persona", "")), str(spec.get("instructions", "")),
                           int(spec.get("max_actions", DEFAULT_MAX_ACTIONS)),
                           int(seed) if seed is not None else None)
    return Playbook.from_spec(spec)
