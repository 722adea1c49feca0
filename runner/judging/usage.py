"""Token use and cost of LLM calls: per call, per scenario, per run.

A call answered from the cache (or by a twin request already in flight) costs
nothing and is counted apart. Some servers (llama.cpp, Ollama at times) send no
``usage`` block: such calls are counted as *unreported* rather than as zero
tokens, so a total never looks cheaper than it was without saying so. Prices
are per million tokens, in whatever currency the user gives them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

PRICES_HELP = ("write the prices per million input and output tokens as IN/OUT, "
               "e.g. --osvi-llm-prices 0.15/0.60")
_PRICES = re.compile(r"\s*(\d+(?:\.\d+)?)\s*[/,]\s*(\d+(?:\.\d+)?)\s*")


class PricesError(ValueError):
    """Prices that cannot be read; the message says what to write."""


@dataclass(frozen=True)
class Prices:
    input: float  # per million prompt tokens
    output: float  # per million completion tokens

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1_000_000


def parse_prices(text: str) -> Prices:
    """``0.15/0.60`` (or ``0.15,0.60``): input and output price per million tokens."""
    found = _PRICES.fullmatch(text)
    if found is None:
        raise PricesError(f"{text!r} is not two prices; {PRICES_HELP}")
    return Prices(float(found.group(1)), float(found.group(2)))


@dataclass(frozen=True)
class CallUsage:
    """What one answered call used. ``None`` tokens: the server did not say."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached: bool = False  # answered without asking the model: nothing paid
    cost: float | None = None  # set when prices are known and the tokens reported


@dataclass
class TokenUsage:
    """Calls and tokens added up (a scenario's, a run's)."""

    calls: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    unreported: int = 0  # paid calls whose answer said nothing about tokens
    cost: float | None = None

    def add(self, call: CallUsage) -> None:
        self.calls += 1
        if call.cached:
            self.cached += 1
            return
        if call.prompt_tokens is None and call.completion_tokens is None:
            self.unreported += 1
        self.prompt_tokens += call.prompt_tokens or 0
        self.completion_tokens += call.completion_tokens or 0
        if call.cost is not None:
            self.cost = (self.cost or 0.0) + call.cost

    def merge(self, other: TokenUsage) -> None:
        self.calls += other.calls
        self.cached += other.cached
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.unreported += other.unreported
        if other.cost is not None:
            self.cost = (self.cost or 0.0) + other.cost

    @classmethod
    def total(cls, usages: Iterable[TokenUsage]) -> TokenUsage:
        summed = cls()
        for usage in usages:
            summed.merge(usage)
        return summed

    def describe(self) -> str:
        """``3 LLM calls (1 from the cache) · 1,234 tokens in, 56 out · cost 0.0012``."""
        calls = f"{self.calls} LLM call{'' if self.calls == 1 else 's'}"
        if self.cached:
            calls += f" ({self.cached} from the cache)"
        parts = [calls, f"{self.prompt_tokens:,} tokens in, {self.completion_tokens:,} out"]
        if self.cost is not None:
            parts.append(f"cost {self.cost:.4f}")
        if self.unreported:
            parts.append(f"{self.unreported} call{'' if self.unreported == 1 else 's'} "
                         "reported no token use")
        return " · ".join(parts)
