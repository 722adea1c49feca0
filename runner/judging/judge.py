"""The LLM judge: scores a reply, or a whole conversation, against the author's criteria.

A step's ``judge: {criteria, min_score}`` matcher sends the criteria, every
turn of the conversation so far (customer, agent, operator; private turns
marked, each with its mode, state and step) and the reply under test, and asks
for ``{"score": 0..1, "pass": true|false, "reason": "..."}``. A scenario's
``judge:`` sends the whole conversation and a list of criteria and asks for
one such verdict per criterion, with evidence: quoted turns.

The score decides (score ≥ min_score); the judge's own ``pass`` and its
reason are kept for the reports. Any problem asking the judge is a
:class:`JudgeError` with a one-line message, which breaks the step (the reply
could not be judged). Requests go through the run's one
:class:`~runner.judging.llm.LLMClient`: structured output, retries, the
cache and token counting live there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from runner.core.options import JUDGE_KEY_ENV as KEY_ENV
from runner.core.options import JUDGE_MODEL_ENV as MODEL_ENV
from runner.core.options import OptionValueError, option
from runner.core.redact import Redactor, environment_secrets
from runner.judging.llm import COMPLETIONS, Endpoint, LLMClient, LLMError, make_endpoint
from runner.judging.llm_cache import LLMCache
from runner.judging.llm_rate import CallLimiter
from runner.judging.turns import Turn, transcript
from runner.judging.usage import CallUsage, Prices, PricesError, parse_prices
from runner.judging.verdicts import (
    CriterionVerdict,
    Evidence,
    JudgeError,
    Verdict,
    parse_criteria,
    parse_verdict,
)

T = TypeVar("T")
_CREDENTIALS = re.compile(r"//[^/@]*@")
__all__ = ["COMPLETIONS", "CriterionVerdict", "Evidence", "Judge", "JudgeConfig", "JudgeError",
           "Turn", "Verdict", "build_config", "parse_verdict", "uses_judge"]

_PRIVATE = ("Turns marked PRIVATE were never shown to the customer: guidance from a human "
            "operator to the agent (whisper, tell) or context injected into the agent. The "
            "agent may act on them but must not reveal them. ")
_REPLY_SYSTEM = (
    "You are a strict quality reviewer for a customer-service chat agent. You are given "
    "criteria, the conversation so far and the agent's reply under test. " + _PRIVATE +
    "Judge only the reply under test, against the criteria, in the light of the "
    "conversation. Answer with one JSON object and nothing else: "
    '{"score": <a number from 0 to 1; 1 means the criteria are fully met>, '
    '"pass": <true or false>, "reason": "<one short sentence>"}'
)
_CONVERSATION_SYSTEM = (
    "You are a strict quality reviewer for a customer-service chat conversation between a "
    "customer, an AI agent and sometimes a human operator. You are given numbered criteria "
    "and the whole conversation as numbered turns. " + _PRIVATE +
    "Judge each criterion on its own, against the whole conversation. Answer with one JSON "
    'object and nothing else: {"criteria": [{"criterion": <its number>, "score": <0 to 1; '
    '1 means fully met>, "pass": <true or false>, "reason": "<one short sentence>", '
    '"evidence": [{"turn": <the number of a turn that shows it>, "quote": "<the words of '
    'that turn, verbatim>"}]}]}, one item per criterion, in order.'
)
_REPLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"score": {"type": "number"}, "pass": {"type": "boolean"},
                   "reason": {"type": "string"}},
    "required": ["score", "pass", "reason"],
    "additionalProperties": False,
}
_CRITERIA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"criteria": {"type": "array", "items": {
        "type": "object",
        "properties": {
            "criterion": {"type": "integer"}, "score": {"type": "number"},
            "pass": {"type": "boolean"}, "reason": {"type": "string"},
            "evidence": {"type": "array", "items": {
                "type": "object",
                "properties": {"turn": {"type": "integer"}, "quote": {"type": "string"}},
                "required": ["turn", "quote"], "additionalProperties": False}}},
        "required": ["criterion", "score", "pass", "reason", "evidence"],
        "additionalProperties": False}}},
    "required": ["criteria"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class JudgeConfig:
    endpoint: Endpoint
    # The run's one client: its cache, and what it learnt about the server, are shared.
    client: LLMClient = field(compare=False, repr=False)

    @property
    def url(self) -> str:
        return self.endpoint.url

    @property
    def model(self) -> str:
        return self.endpoint.model

    @property
    def api_key(self) -> str | None:
        return self.endpoint.api_key

    @property
    def shown_url(self) -> str:
        """The endpoint without credentials or query, safe to print."""
        return self.endpoint.shown_url


def _choice(name: str, value: Any) -> str:
    item = option(name)
    chosen = str(value) if value not in (None, "") else item.default
    if chosen not in item.choices:
        raise OptionValueError(f"{item.flag}: {chosen!r} is not one of "
                               f"{', '.join(item.choices)}")
    return chosen


def llm_options(values: Mapping[str, Any]) -> tuple[LLMCache, Prices | None]:
    """The run's cache and prices from merged option values; raises OptionValueError."""
    mode = _choice("llm_cache_mode", values.get("llm_cache_mode"))
    folder = values.get("llm_cache")
    if mode == "replay" and not folder:
        raise OptionValueError("--osvi-llm-cache-mode replay answers only from the cache: "
                               "name its folder with --osvi-llm-cache DIR")
    prices = None
    if values.get("llm_prices"):
        try:
            prices = parse_prices(str(values["llm_prices"]))
        except PricesError as error:
            raise OptionValueError(f"--osvi-llm-prices: {error}") from None
    return LLMCache(Path(folder) if folder else None, mode), prices


def build_config(url: str | None, env: Mapping[str, str], *, model: str | None = None,
                 timeout: float = 30.0,
                 llm: Mapping[str, Any] | None = None,
                 limiter: CallLimiter | None = None) -> JudgeConfig | None:
    """The judge settings, or None when no judge URL is set; raises JudgeError if unusable.

    ``llm``: merged option values holding the cache and price options (checked
    whether or not a judge is set: a bad ini value is an error either way).
    ``limiter``: the run's ``--osvi-llm-rate``, shared by every call of the client.
    """
    cache, prices = llm_options(llm or {})
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise JudgeError(f"--osvi-judge-url: {_shown(url)!r} must start with http:// or "
                         "https://")
    chosen = env.get(MODEL_ENV) or model
    if not chosen:
        raise JudgeError(f"--osvi-judge-url needs a model name: export {MODEL_ENV}=<model> "
                         "(or set the ini option osvi_judge_model)")
    try:
        endpoint = make_endpoint(url, chosen, api_key=env.get(KEY_ENV) or None, timeout=timeout)
    except (ValueError, TypeError):
        raise JudgeError(f"--osvi-judge-url: {_shown(url)!r} is not a URL; write it like "
                         "http://127.0.0.1:11434/v1") from None
    # What is sent to the judge, and kept in the cache, never holds the run's secrets.
    redactor = Redactor([*environment_secrets(env), endpoint.api_key])
    client = LLMClient(endpoint, cache=cache, prices=prices, name="the judge",
                       redactor=redactor, limiter=limiter)
    return JudgeConfig(endpoint, client)


def _shown(url: str) -> str:
    """A URL with any credentials taken out, for a message."""
    return _CREDENTIALS.sub("//…@", url)


def reply_prompt(criteria: str, reply: str, turns: Sequence[Turn],
                 under_test: str = "") -> list[dict[str, str]]:
    where = f" ({under_test})" if under_test else ""
    user = (f"Criteria:\n{criteria}\n\nThe conversation so far, oldest first:\n"
            f"{transcript(turns)}\n\nThe agent's reply under test{where}:\n{reply}")
    return [{"role": "system", "content": _REPLY_SYSTEM}, {"role": "user", "content": user}]


def conversation_prompt(criteria: Sequence[str], turns: Sequence[Turn]) -> list[dict[str, str]]:
    listed = "\n".join(f"{number}. {criterion}"
                       for number, criterion in enumerate(criteria, start=1))
    user = (f"Criteria:\n{listed}\n\nThe whole conversation, oldest first:\n"
            f"{transcript(turns)}")
    return [{"role": "system", "content": _CONVERSATION_SYSTEM},
            {"role": "user", "content": user}]


class Judge:
    """Asks the configured endpoint through the run's client."""

    def __init__(self, config: JudgeConfig) -> None:
        self.config = config

    async def verdict(self, criteria: str, reply: str, turns: Sequence[Turn] = (),
                      under_test: str = "") -> tuple[Verdict, CallUsage]:
        """The verdict on ``reply`` after ``turns``, and what asking cost."""
        return await self._ask(reply_prompt(criteria, reply, turns, under_test), parse_verdict,
                               _REPLY_SCHEMA, "verdict")

    async def conversation(self, criteria: Sequence[str], turns: Sequence[Turn]
                           ) -> tuple[list[CriterionVerdict], CallUsage]:
        """One verdict per criterion on the whole conversation, and what asking cost."""
        def parse(content: str) -> list[CriterionVerdict]:
            return parse_criteria(content, criteria, turns)

        return await self._ask(conversation_prompt(criteria, turns), parse, _CRITERIA_SCHEMA,
                               "verdicts")

    async def _ask(self, messages: list[dict[str, str]], parse: Callable[[str], T],
                   schema: dict[str, Any], name: str) -> tuple[T, CallUsage]:
        try:
            return await self.config.client.complete(messages, parse, schema=schema,
                                                      schema_name=name)
        except JudgeError:
            raise
        except LLMError as error:  # transport: the same words, as the judge's problem
            raise JudgeError(str(error), error.usage) from None


def uses_judge(tree: Any) -> bool:
    """Whether a scenario part (its steps' ``expect``, its invariants) asks the judge."""
    if isinstance(tree, dict):
        return "judge" in tree or any(uses_judge(v) for v in tree.values())
    if isinstance(tree, (list, tuple)):
        return any(uses_judge(v) for v in tree)
    return False
