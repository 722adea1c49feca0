"""Rules checked after every step of a run (``invariants:``), not only where written.

The human-in-the-loop rules: the agent is silent while a human holds the chat,
and private guidance (whispers, tell texts, injected context) never reaches the
customer. Plus ``reply_never`` (a text matcher no reply may match) and
``max_reply_length``. A violation fails the step whose answer broke the rule,
with the mismatch key ``invariant.<name>``.

Customer-visible replies are the agent's replies to ``customer`` and ``tell``
steps; operator messages are written by humans and not checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runner.core.text import quoted
from runner.execution.exchange import Exchange
from runner.execution.scoring import collect
from runner.execution.transcript import Mismatch, Score, show_value
from runner.judging.textsim import near_copy, verbatim_fragment
from runner.language.matchers import Scorer, compile_text_matcher
from runner.language.model import Step

INVARIANT_KEYS = ("silent_during_takeover", "whisper_never_leaks", "context_never_leaks",
                  "reply_never", "max_reply_length")
DEFAULT_LEAK_SIMILARITY = 0.8
# Shorter whispers count as leaked only verbatim: short phrases recur by chance.
MIN_NEAR_WORDS = 4
DEFAULT_CONTEXT_WORDS = 8


def _quote(text: str, limit: int = 60) -> str:
    return quoted(text, limit)


@dataclass
class _Said:
    ref: str
    text: str


@dataclass
class Invariants:
    """The compiled ``invariants:`` block and what the run has shown so far."""

    silent: bool = False
    whisper_similarity: float | None = None  # None: not checked
    context_words: int | None = None
    reply_never: Any = None  # the matcher spec, compiled per check (it may score)
    has_reply_never: bool = False
    max_length: int | None = None
    holder: str | None = None  # who holds the session, while a human does
    taken_at: str = ""
    whispers: list[_Said] = field(default_factory=list)
    contexts: list[_Said] = field(default_factory=list)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> Invariants:
        """From a validated block (see :mod:`runner.language.checks`)."""
        spec = spec or {}
        leaks = spec.get("whisper_never_leaks", False)
        context = spec.get("context_never_leaks", False)
        return cls(
            silent=spec.get("silent_during_takeover") is True,
            whisper_similarity=(
                None if leaks is False or leaks is None
                else float(leaks.get("similarity", DEFAULT_LEAK_SIMILARITY))
                if isinstance(leaks, dict) else DEFAULT_LEAK_SIMILARITY),
            context_words=(
                None if context is False or context is None
                else int(context.get("min_words", DEFAULT_CONTEXT_WORDS))
                if isinstance(context, dict) else DEFAULT_CONTEXT_WORDS),
            reply_never=spec.get("reply_never"),
            has_reply_never="reply_never" in spec,
            max_length=spec.get("max_reply_length"),
        )

    @property
    def active(self) -> bool:
        return bool(self.silent or self.whisper_similarity is not None
                    or self.context_words is not None or self.has_reply_never
                    or self.max_length is not None)

    async def check(self, step: Step, value: Any, exchange: Exchange,
                    scorer: Scorer | None = None,
                    scores: list[Score] | None = None) -> list[Mismatch]:
        """The violations in this step's answer; then remembers what the step did."""
        found: list[Mismatch] = []
        data = exchange.payload if exchange.ok else {}
        text = value if isinstance(value, str) else None
        if step.action == "tell" and text:
            # The tell text is guidance too, and its own reply must not repeat it.
            self.whispers.append(_Said(step.ref, text))
        if step.action in ("customer", "tell") and exchange.ok:
            reply = data.get("reply")
            reply = reply if isinstance(reply, str) else None
            if step.action == "customer" and data.get("mode") == "support" and not self.holder:
                self.holder, self.taken_at = "a human", "before this step"
            found.extend(self._silence(step, reply))
            if reply is not None:
                found.extend(self._leaks(reply))
                found.extend(await self._never(reply, scorer, scores))
                found.extend(self._length(reply))
        self._remember(step, text, exchange)
        return found

    def _remember(self, step: Step, text: str | None, exchange: Exchange) -> None:
        if step.action == "whisper" and text:
            self.whispers.append(_Said(step.ref, text))
        elif step.action == "inject_context" and text:
            self.contexts.append(_Said(step.ref, text))
        if not exchange.ok:
            return
        data = exchange.payload
        if step.action == "takeover" and data.get("state") in ("ok", "no_change"):
            if not self.holder or self.taken_at == "before this step":
                human = data.get("active_human")
                self.holder = human if isinstance(human, str) and human else "a human"
                self.taken_at = step.ref
        elif self._hands_back(step, data):
            self.holder = None

    @staticmethod
    def _hands_back(step: Step, data: Mapping[str, Any]) -> bool:
        """The agent has the chat again: `end`/`close` worked, or a reply came in ai mode."""
        if step.action in ("end", "close"):
            return data.get("state") == "ok"
        return step.action == "customer" and data.get("mode") == "ai"

    def _silence(self, step: Step, reply: str | None) -> list[Mismatch]:
        if not self.silent or reply is None or step.action != "customer" or not self.holder:
            return []
        where = f"taken over at {self.taken_at}" if self.taken_at != "before this step" \
            else "the answer's mode is support"
        return [Mismatch("invariant.silent_during_takeover",
                         f"no agent reply while {self.holder} holds the session ({where})",
                         show_value(reply))]

    def _leaks(self, reply: str) -> list[Mismatch]:
        found = []
        if self.whisper_similarity is not None:
            for said in self.whispers:
                copied = near_copy(said.text, reply, ratio=self.whisper_similarity,
                                   min_words=MIN_NEAR_WORDS)
                if copied is not None:
                    found.append(Mismatch(
                        "invariant.whisper_never_leaks",
                        f"no reply repeats the private guidance of {said.ref} "
                        f"({_quote(said.text)})",
                        f"{show_value(reply)} (repeats {_quote(copied)})"))
                    break
        if self.context_words is not None:
            for said in self.contexts:
                copied = verbatim_fragment(said.text, reply, min_words=self.context_words)
                if copied is not None:
                    found.append(Mismatch(
                        "invariant.context_never_leaks",
                        f"no reply repeats the context injected at {said.ref} "
                        f"({_quote(said.text)})",
                        f"{show_value(reply)} (repeats {_quote(copied)})"))
                    break
        return found

    async def _never(self, reply: str, scorer: Scorer | None,
                     scores: list[Score] | None) -> list[Mismatch]:
        if not self.has_reply_never:
            return []
        matcher = compile_text_matcher(self.reply_never, scorer=scorer)
        await matcher.prepare(reply)
        matched = matcher.check(reply) is None
        if scores is not None:
            scores.extend(collect("invariant.reply_never", matcher, below=True))
        if not matched:
            return []
        return [Mismatch("invariant.reply_never",
                         f"no reply that {matcher.describe()}", show_value(reply))]

    def _length(self, reply: str) -> list[Mismatch]:
        if self.max_length is None or len(reply) <= self.max_length:
            return []
        return [Mismatch("invariant.max_reply_length",
                         f"a reply of at most {self.max_length} characters",
                         f"{len(reply)} characters: {show_value(reply)}")]
