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
from runner.language.matchers import MatcherError, TextMatcher, compile_text_matcher
from runner.language.mock_variants import DEFAULT_SEED, flaky_now, pick
from runner.language.patterns import PatternTimeout
from runner.language.templating import render
from runner.language.yamlsrc import location

COMMANDS = ("takeover", "tell", "whisper", "end", "close")
# The turn fields a rule's `when` can look at (the rest of `when` is a text matcher).
WHEN_FIELDS = ("message", "whisper", "context", "state", "version")

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
        """Pick the first rule whose condition holds and render its reply."""
        turn = replace(turn, version=self.version)
        for rule in self.rules:
            try:
                fires = rule.when is None or rule.when(turn)
            except PatternTimeout as error:  # answer at once, with the cause: never hang
                place = f"at {error.where or rule.where}" if error.where or rule.where \
                    else f"replies[{rule.index}]"
                return Decision(None, None, None, 0.0, FaultResponse(
                    500, error=f"the mock rule {place}: {error.describe()}"))
            if fires:
                template = self._reply(rule, turn)
                reply = None if template is None else _fill(template, turn)
                return Decision(reply, rule.state, rule.help_requested, rule.latency, rule.fault)
        reply = None if self.default_reply is None else _fill(self.default_reply, turn)
        return Decision(reply, None, None, 0.0, None)

    def _reply(self, rule: Rule, turn: Turn) -> str | None:
        """The rule's reply in this run: its flaky reply, one of its choices, or its reply."""
        if rule.flaky is not None and flaky_now(rule.flaky.every, self.seed):
            return rule.flaky.reply
        if rule.choices:
            return pick(rule.choices, self.seed, rule.index, turn.message)
        return rule.reply


def _fill(template: str, turn: Turn) -> str:
    if "{{" not in template:
        return template
    values = {"message": turn.message, "whisper": turn.whisper, "context": turn.context}
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
    )


def _condition(spec: str | Mapping[str, Any]) -> Condition:
    if isinstance(spec, Mapping) and any(key in WHEN_FIELDS for key in spec):
        return _on_fields({name: _matcher(spec[name]) for name in WHEN_FIELDS if name in spec})
    return _on_message(_matcher(spec))


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

