"""The simulated operator's playbook: when a human takes over, and what they do then.

Deterministic, so it runs offline: take over once a reply asks for help (or
after a number of simulated turns), whisper a hint, say something to the
customer, hand back with ``end`` (the simulation goes on) or ``close`` (it
stops). Each action becomes a support step of its own, sent to the real
support endpoint and checked like a scripted one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Playbook:
    on_help: bool = False
    after: int | None = None  # take over after this simulated turn
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
