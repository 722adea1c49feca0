"""The conversation as the judge reads it: plain turns, numbered, private ones marked.

The execution layer converts its transcript into :class:`Turn` values; this
module only knows how to write them for a model. Every turn carries the mode
and state the session was in, and its step, so the judge can quote evidence
that a person finds in the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Role = str  # customer, agent, operator, context, event


@dataclass(frozen=True)
class Turn:
    role: Role
    text: str | None  # None: the agent stayed silent
    private: bool = False  # never shown to the customer: whisper, tell, injected context
    mode: str | None = None  # ai or support, as the session was after this turn
    state: str | None = None
    step_ref: str = ""  # ``step 3``: where a report shows it
    via: str = ""  # the action that said it, when the role alone does not: whisper, tell...

    @property
    def who(self) -> str:
        """``operator (whisper)``, ``agent``."""
        return f"{self.role} ({self.via})" if self.via and self.via != self.role else self.role


def describe(number: int, turn: Turn) -> str:
    """One turn for the prompt: a numbered header line, then the text indented."""
    facts = [turn.step_ref] if turn.step_ref else []
    facts.append(turn.who)
    if turn.private:
        facts.append("PRIVATE: never shown to the customer")
    if turn.mode:
        facts.append(f"mode {turn.mode}")
    if turn.state:
        facts.append(f"state {turn.state}")
    text = "(no reply: the agent stayed silent)" if turn.text is None else turn.text
    body = "\n".join(f"    {line}" for line in (text.splitlines() or [""]))
    return f"#{number} [{' · '.join(facts)}]\n{body}"


def transcript(turns: Sequence[Turn]) -> str:
    if not turns:
        return "(nothing was said before)"
    return "\n".join(describe(number, turn) for number, turn in enumerate(turns, start=1))
