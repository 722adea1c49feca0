"""A mock agent: the ``mock:`` language compiled into rules the engine can run.

:meth:`MockAgent.from_spec` turns a spec that the mock language's validation
accepted (:func:`runner.language.mock_spec.validate_agent_spec`: the schema
``schemas/mock-agent.schema.json``, then :mod:`runner.language.mock_checks`)
into a :class:`MockAgent`. It does not check the spec again: handed one that
was never validated, it raises :class:`UnvalidatedAgentSpec`, an internal error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any

from runner.language.durations import DurationError, parse_duration
from runner.language.matchers import (
    MatcherError,
    TextMatcher,
    compile_regex,
    compile_text_matcher,
)
from runner.language.mock_captures import MATCH_PREFIX, capture_regex
from runner.language.mock_variants import DEFAULT_SEED, flaky_now, pick
from runner.language.patterns import PatternTimeout, UserPattern
from runner.language.templating import placeholders, render
from runner.language.yamlsrc import location

COMMANDS = ("takeover", "tell", "whisper", "end", "close")
# The turn fields a rule's `when` can look at (the rest of `when` is a text matcher).
WHEN_FIELDS = ("message", "whisper", "context", "state", "version")
# `when: {turn: 3}` or `{turn: {min: 3, max: 5}}`: the customer turn number, not a text.
TURN_FIELD = "turn"
# `when: {trigger: tell}`: what made the agent speak, a customer message or a tell.
TRIGGER_FIELD = "trigger"
CONDITION_FIELDS = (*WHEN_FIELDS, TURN_FIELD, TRIGGER_FIELD)

DEFAULT_OPERATOR = "operator@example.com"
DEFAULT_REPLY = "How can I help?"
DEFAULT_DORMANT_AFTER = 30 * 60.0


class UnvalidatedAgentSpec(ValueError):
    """A spec reached the compiler without passing validation: a bug in the caller."""


@dataclass(frozen=True)
class FaultResponse:
    """What an injected fault answers with."""

    status: int
    error: str | None = None
    upstream_body: dict[str, Any] | None = None
    has_upstream_body: bool = False
    body: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def default_error(self, method: str, path: str) -> str:
        if self.status == 422 or self.status >= 500:
            return f"Python engine returned {self.status} for {method} {path}"
        try:
            return HTTPStatus(self.status).phrase.lower().replace(" ", "_").replace("-", "_")
        except ValueError:
            return "error"

    def is_engine_error(self) -> bool:
        return self.has_upstream_body or self.status == 422 or self.status >= 500


@dataclass(frozen=True)
class AgentFault:
    """An agent-level fault: which endpoint it hits, how often, and the answer."""

    on: str
    times: int | None
    response: FaultResponse

    def applies_to(self, endpoint: str) -> bool:
        return self.on in ("any", endpoint)


@dataclass(frozen=True)
class Turn:
    """What a rule can look at when the agent takes a turn."""

    message: str
    whisper: str
    context: str
    state: str
    version: str = ""  # the agent's version, filled in by the agent
    last_whisper: str = ""  # the newest guidance alone: the tell text, else the last whisper
    turn: int = 0  # the customer turn number in this session (1 for the first message)
    trigger: str = "customer"  # or "tell": an operator made the agent speak


Condition = Callable[[Turn], bool]


@dataclass(frozen=True)
class Flaky:
    """``flaky: {every: N, reply: ...}``: in every N-th run the rule gives this reply."""

    every: int
    reply: str | None


@dataclass(frozen=True)
class Rule:
    when: Condition | None
    reply: str | None
    state: str | None = None
    help_requested: bool | None = None
    latency: float = 0.0
    fault: FaultResponse | None = None
    choices: tuple[str | None, ...] = ()  # `choose:` replaces `reply`
    flaky: Flaky | None = None
    index: int = 0  # the rule's place in `replies`, to seed its choices
    where: str = ""  # file:line of its `when`, when it was read from a file
    capture: UserPattern | None = None  # the `when` regex whose groups `{{ match.N }}` reads


@dataclass(frozen=True)
class Append:
    """``append: [{when, text}]``: text added to the chosen reply when ``when`` holds."""

    when: Condition | None
    text: str
    capture: UserPattern | None = None
    where: str = ""


@dataclass(frozen=True)
class Decision:
    """The outcome of one agent turn, before the engine applies it to the session."""

    reply: str | None
    state: str | None
    help_requested: bool | None
    latency: float
    fault: FaultResponse | None


@dataclass(frozen=True)
class MockAgent:
    """A compiled mock agent. Immutable, so one may serve many engines at once."""

    status: str = "active"
    disabled_commands: frozenset[str] = frozenset()
    operator: str = DEFAULT_OPERATOR
    initial_context: tuple[str, ...] = ()
    dormant_after: float = DEFAULT_DORMANT_AFTER
    latency: float = 0.0
    faults: tuple[AgentFault, ...] = ()
    rules: tuple[Rule, ...] = ()
    appends: tuple[Append, ...] = ()
    default_reply: str | None = DEFAULT_REPLY
    description: str = field(default="", compare=False)
    seed: int = DEFAULT_SEED
    version: str = ""
    # A broken agent that keeps replying while a human holds the chat (for invariants).
    answers_during_takeover: bool = False

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None, *, where: str = "mock") -> MockAgent:
        """Compile a spec that validation accepted with no variables left to fill in.

        Validate first (``validate_agent_spec(spec, allow_variables=False)``):
        this only builds. A spec it cannot build raises :class:`UnvalidatedAgentSpec`.
        """
        try:
            return _agent(spec if spec is not None else {})
        except (TypeError, ValueError, KeyError, AttributeError, MatcherError,
                DurationError) as error:
            raise UnvalidatedAgentSpec(
                f"{where}: the mock agent spec was not validated before it was compiled "
                f"({type(error).__name__}: {error}); call validate_agent_spec first") from error

    def respond(self, turn: Turn) -> Decision:
        """Pick the first rule whose condition holds, render its reply, then the appends."""
        turn = replace(turn, version=self.version)
        try:
            decision = self._decide(turn)
            if decision.reply is not None and decision.fault is None:
                decision = replace(decision, reply=decision.reply + self._appended(turn))
            return decision
        except _RuleTimeout as timeout:  # answer at once, with the cause: never hang
            return Decision(None, None, None, 0.0, FaultResponse(500, error=str(timeout)))

    def _decide(self, turn: Turn) -> Decision:
        for rule in self.rules:
            fires, groups = _holds(rule.when, rule.capture, turn, rule.where,
                                   f"replies[{rule.index}]")
            if fires:
                template = self._reply(rule, turn)
                reply = None if template is None else _fill(template, turn, groups)
                return Decision(reply, rule.state, rule.help_requested, rule.latency, rule.fault)
        reply = None if self.default_reply is None else _fill(self.default_reply, turn, {})
        return Decision(reply, None, None, 0.0, None)

    def _appended(self, turn: Turn) -> str:
        added = []
        for index, item in enumerate(self.appends):
            fires, groups = _holds(item.when, item.capture, turn, item.where, f"append[{index}]")
            if fires:
                added.append(_fill(item.text, turn, groups))
        return "".join(added)

    def _reply(self, rule: Rule, turn: Turn) -> str | None:
        """The rule's reply in this run: its flaky reply, one of its choices, or its reply."""
        if rule.flaky is not None and flaky_now(rule.flaky.every, self.seed):
            return rule.flaky.reply
        if rule.choices:
            return pick(rule.choices, self.seed, rule.index, turn.message)
        return rule.reply


class _RuleTimeout(Exception):
    """A rule's regex ran out of time: the turn answers 500 naming the rule."""


def _holds(when: Condition | None, capture: UserPattern | None, turn: Turn, where: str,
           index: str) -> tuple[bool, Mapping[str, str]]:
    """Whether the condition holds, and the groups of its regex (empty without one)."""
    try:
        fires = when is None or when(turn)
        groups = capture.groups(turn.message) if fires and capture is not None else None
    except PatternTimeout as error:
        place = f"at {error.where or where}" if error.where or where else index
        raise _RuleTimeout(f"the mock rule {place}: {error.describe()}") from None
    return fires, groups or {}


def _fill(template: str, turn: Turn, groups: Mapping[str, str]) -> str:
    if "{{" not in template:
        return template
    values: dict[str, Any] = {
        "message": turn.message, "whisper": turn.whisper, "context": turn.context,
        "last_whisper": turn.last_whisper, "turn": turn.turn}
    # A group validation could not see (or that took no part in the match) is empty.
    values.update({name: groups.get(name[len(MATCH_PREFIX):], "")
                   for name in placeholders(template) if name.startswith(MATCH_PREFIX)})
    return str(render(template, values, {}))


# -- compiling a validated spec ---------------------------------------------------
# Each function reads what the schema promised; defaults are the language's.


def _agent(spec: Mapping[str, Any]) -> MockAgent:
    settings = spec.get("agent") or {}
    return MockAgent(
        status=settings.get("status", "active"),
        disabled_commands=frozenset(settings.get("disabled_commands", ())),
        operator=spec.get("operator", DEFAULT_OPERATOR),
        initial_context=_context(spec.get("initial_context")),
        dormant_after=_seconds(spec, "dormant_after", DEFAULT_DORMANT_AFTER),
        latency=_seconds(spec, "latency", 0.0),
        faults=tuple(_agent_fault(item) for item in spec.get("faults") or ()),
        rules=tuple(_rule(item, index) for index, item in enumerate(spec.get("replies") or ())),
        appends=tuple(_append(item) for item in spec.get("append") or ()),
        default_reply=spec.get("default_reply", DEFAULT_REPLY),
        description=spec.get("description", ""),
        seed=int(spec.get("seed", DEFAULT_SEED)),
        version=str(spec.get("version", "")),  # `version: 2` means "2"
        answers_during_takeover=bool(spec.get("answers_during_takeover", False)),
    )


def _context(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _seconds(data: Mapping[str, Any], key: str, default: float) -> float:
    return parse_duration(data[key]) if key in data else default


def _rule(data: Mapping[str, Any], index: int) -> Rule:
    flaky = data.get("flaky")
    return Rule(
        when=_condition(data["when"]) if "when" in data else None,
        reply=data.get("reply"),
        state=data.get("state"),
        help_requested=data.get("help_requested"),
        latency=_seconds(data, "latency", 0.0),
        fault=_fault(data["fault"]) if "fault" in data else None,
        choices=tuple(data.get("choose", ())),
        flaky=Flaky(int(flaky["every"]), flaky["reply"]) if flaky is not None else None,
        index=index,
        where=location(data, "when"),
        capture=_capture(data.get("when"), location(data, "when")),
    )


def _append(data: Mapping[str, Any]) -> Append:
    return Append(
        when=_condition(data["when"]) if "when" in data else None,
        text=data["text"],
        capture=_capture(data.get("when"), location(data, "when")),
        where=location(data, "when"),
    )


def _capture(when: Any, where: str) -> UserPattern | None:
    found = capture_regex(when)
    return None if found is None else compile_regex(found[0], ignore_case=found[1], where=where)


def _condition(spec: str | Mapping[str, Any]) -> Condition:
    if isinstance(spec, Mapping) and any(key in CONDITION_FIELDS for key in spec):
        fields = _on_fields({name: _matcher(spec[name]) for name in WHEN_FIELDS if name in spec})
        low, high = turn_bounds(spec[TURN_FIELD]) if TURN_FIELD in spec else (0, float("inf"))
        trigger = spec.get(TRIGGER_FIELD)
        return lambda turn: (low <= turn.turn <= high and trigger in (None, turn.trigger)
                             and fields(turn))
    return _on_message(_matcher(spec))


def turn_bounds(spec: int | Mapping[str, int]) -> tuple[float, float]:
    """``turn: 3`` or ``turn: {min: 3, max: 5}`` as inclusive bounds."""
    if isinstance(spec, Mapping):
        return spec.get("min", 1), spec.get("max", float("inf"))
    return spec, spec


def _matcher(spec: Any) -> TextMatcher:
    """A `when` matcher: bare strings are regexes, and no LLM judge is asked."""
    return compile_text_matcher(spec, bare_string_is_regex=True, allow_judge=False)


def _agent_fault(data: Mapping[str, Any]) -> AgentFault:
    times = data.get("times")
    return AgentFault(data.get("on", "any"), int(times) if times is not None else None,
                      _fault(data))


def _fault(data: Mapping[str, Any]) -> FaultResponse:
    upstream = data.get("upstream_body")
    return FaultResponse(
        status=int(data["status"]),
        error=data.get("error"),
        upstream_body=dict(upstream) if upstream is not None else None,
        has_upstream_body="upstream_body" in data,
        body=data.get("body"),
        headers=tuple((str(name), str(value))
                      for name, value in (data.get("headers") or {}).items()),
    )


def _on_message(matcher: TextMatcher) -> Condition:
    return lambda turn: matcher.check(turn.message) is None


def _on_fields(matchers: dict[str, TextMatcher]) -> Condition:
    checks = tuple(matchers.items())
    return lambda turn: all(m.check(getattr(turn, name)) is None for name, m in checks)

