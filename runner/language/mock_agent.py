"""A mock agent: the ``mock:`` language compiled into rules the engine can run.

:func:`compile_agent` turns a spec (a mapping written in YAML) into a
:class:`MockAgent` and lists every mistake it finds, each located by its path
inside the spec, so :mod:`runner.language.mock_spec` can point at file lines and
:meth:`MockAgent.from_spec` can refuse a bad spec with a clear error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any

from runner.core.errors import Problem, ScenarioFileError
from runner.core.suggest import did_you_mean, one_of
from runner.core.suggest import type_in_words as _kind
from runner.language.durations import DurationError, parse_duration
from runner.language.matchers import (
    TEXT_MATCHER_KEYS,
    MatcherError,
    TextMatcher,
    compile_text_matcher,
)
from runner.language.mock_variants import DEFAULT_SEED, flaky_now, pick
from runner.language.patterns import PatternTimeout
from runner.language.templating import (
    MOCK_TURN_NAMES,
    BadPlaceholder,
    check_syntax,
    placeholders,
    render,
)
from runner.language.yamlsrc import line_at, location

Path = tuple[str | int, ...]

COMMANDS = ("takeover", "tell", "whisper", "end", "close")
STATUSES = ("active", "archived", "inactive")
FAULT_TARGETS = ("inbound", "support", "inject_context", "any")
WHEN_FIELDS = ("message", "whisper", "context", "state", "version")
AGENT_KEYS = ("description", "agent", "operator", "initial_context", "dormant_after", "latency",
              "faults", "replies", "default_reply", "seed", "version", "answers_during_takeover")
RULE_KEYS = ("when", "reply", "choose", "flaky", "state", "help_requested", "latency", "fault")
FAULT_KEYS = ("status", "error", "upstream_body", "body", "headers")
AGENT_FAULT_KEYS = ("on", "times", *FAULT_KEYS)

DEFAULT_OPERATOR = "operator@example.com"
DEFAULT_REPLY = "How can I help?"
DEFAULT_DORMANT_AFTER = 30 * 60.0
MAX_LATENCY = 600.0
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Framing headers belong to the HTTP server; overriding them breaks the connection.
_RESERVED_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


@dataclass(frozen=True)
class Issue:
    """One mistake in a spec, at ``path`` (keys and indexes from the spec's root)."""

    path: Path
    message: str
    fix: str = ""
    # An unknown key is located at the key's line but named by its mapping.
    names_parent: bool = False


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
    def from_spec(cls, spec: Mapping[str, Any] | None, *, source: str = "<mock>",
                  where: str = "mock") -> MockAgent:
        """Compile a validated spec (scenario variables already substituted).

        Raises :class:`ScenarioFileError` if the spec is wrong after all, e.g. a
        substituted variable turned out not to be a duration.
        """
        agent, issues = compile_agent(spec if spec is not None else {}, allow_variables=False)
        if issues:
            raise ScenarioFileError(issue_problems(issues, spec, source, where))
        return agent

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


def issue_problems(issues: list[Issue], spec: Any, source: str, where: str) -> list[Problem]:
    problems = []
    for issue in issues:
        shown = issue.path[:-1] if issue.names_parent else issue.path
        problems.append(Problem(source, line_at(spec, issue.path),
                                f"{describe_path(where, shown)}: {issue.message}", issue.fix))
    return problems


def describe_path(where: str, path: Path) -> str:
    text = where
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "the agent"


def compile_agent(spec: Any, *, allow_variables: bool = True) -> tuple[MockAgent, list[Issue]]:
    """Compile ``spec``; returns the agent (with defaults where parts were bad) and the issues.

    With ``allow_variables`` a string holding a scenario ``{{ variable }}`` is
    accepted where its final value cannot be known yet (the runner substitutes
    variables before the agent runs); without it such a name is an error.
    """
    return _Compiler(allow_variables).agent(spec)


class _Compiler:
    def __init__(self, allow_variables: bool) -> None:
        self.allow_variables = allow_variables
        self.issues: list[Issue] = []

    def fail(self, path: Path, message: str, fix: str = "", names_parent: bool = False) -> None:
        self.issues.append(Issue(path, message, fix, names_parent))

    def deferred(self, value: Any) -> bool:
        """True for a string whose meaning depends on a scenario variable."""
        return (self.allow_variables and isinstance(value, str)
                and any(n not in MOCK_TURN_NAMES for n in placeholders(value)))

    def mapping(self, value: Any, path: Path, keys: tuple[str, ...], what: str,
                example: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(path, f"{what} must be a mapping, not {_kind(value)}",
                      f"write e.g. {example}")
            return None
        for key in value:
            if key not in keys:
                self.fail((*path, key), f"unknown key '{key}'{did_you_mean(str(key), keys)}",
                          "use one of: " + ", ".join(keys), names_parent=True)
        return value

    # -- the agent -------------------------------------------------------------

    def agent(self, spec: Any) -> tuple[MockAgent, list[Issue]]:
        data = self.mapping(spec, (), AGENT_KEYS, "a mock agent",
                            '{replies: [{when: "(?i)refund", reply: "Sure."}]}')
        if data is None:
            return MockAgent(), self.issues
        status, disabled = self.agent_settings(data.get("agent"))
        description = data.get("description", "")
        if not isinstance(description, str):
            self.fail(("description",), f"`description` must be text, not {_kind(description)}",
                      'write description: "What this agent is for"')
            description = ""
        agent = MockAgent(
            status=status,
            disabled_commands=disabled,
            operator=self.operator(data.get("operator", DEFAULT_OPERATOR)),
            initial_context=self.initial_context(data.get("initial_context")),
            dormant_after=self.duration(data, "dormant_after", (), DEFAULT_DORMANT_AFTER,
                                        positive=True),
            latency=self.duration(data, "latency", (), 0.0),
            faults=self.agent_faults(data.get("faults")),
            rules=self.rules(data.get("replies")),
            default_reply=self.template(data, "default_reply", (), DEFAULT_REPLY),
            description=description,
            seed=self.seed(data.get("seed", DEFAULT_SEED)),
            version=self.version(data.get("version", "")),
            answers_during_takeover=self.flag(data, "answers_during_takeover"),
        )
        return agent, self.issues

    def flag(self, data: Mapping[str, Any], key: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.fail((key,), f"`{key}` must be true or false, not {_kind(value)}",
                      f"write {key}: true")
            return False
        return value

    def seed(self, value: Any) -> int:
        if self.deferred(value):
            return DEFAULT_SEED
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(("seed",), f"`seed` must be a whole number ≥ 0, not {_kind(value)}"
                      if not isinstance(value, int) or isinstance(value, bool)
                      else f"`seed` must be a whole number ≥ 0, not {value}",
                      "write seed: 3 (run 3 of a repeated scenario uses seed 3)")
            return DEFAULT_SEED
        return value

    def version(self, value: Any) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)  # `version: 2` obviously means "2"
        if not isinstance(value, str):
            self.fail(("version",), f"`version` must be text, not {_kind(value)}",
                      'write version: "2"')
            return ""
        return value

    def agent_settings(self, value: Any) -> tuple[str, frozenset[str]]:
        if value is None:
            return "active", frozenset()
        data = self.mapping(value, ("agent",), ("status", "disabled_commands"), "`agent`",
                            "agent: {status: active, disabled_commands: [tell]}")
        if data is None:
            return "active", frozenset()
        status = data.get("status", "active")
        if self.deferred(status):
            status = "active"
        elif status not in STATUSES:
            hint = did_you_mean(status, STATUSES) if isinstance(status, str) else ""
            shown = f"'{status}'" if isinstance(status, str) else _kind(status)
            self.fail(("agent", "status"),
                      f"`status` must be {one_of(STATUSES)}, not {shown}{hint}",
                      "write status: active (or archived / inactive)")
            status = "active"
        disabled: set[str] = set()
        commands = data.get("disabled_commands", [])
        if not isinstance(commands, list):
            self.fail(("agent", "disabled_commands"),
                      f"`disabled_commands` must be a list, not {_kind(commands)}",
                      "write disabled_commands: [tell, whisper]")
            commands = []
        for index, command in enumerate(commands):
            if command in COMMANDS:
                disabled.add(command)
            else:
                shown = f"'{command}'" if isinstance(command, str) else _kind(command)
                hint = did_you_mean(command, COMMANDS) if isinstance(command, str) else ""
                self.fail(("agent", "disabled_commands", index),
                          f"unknown support command {shown}{hint}",
                          "use any of: " + ", ".join(COMMANDS))
        return status, frozenset(disabled)

    def operator(self, value: Any) -> str:
        if isinstance(value, str) and value.strip():
            return value
        self.fail(("operator",), f"`operator` must be an e-mail address, not {_kind(value)}"
                  if not isinstance(value, str) else "`operator` is empty",
                  "write operator: qa@yourco.com")
        return DEFAULT_OPERATOR

    def initial_context(self, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            self.check_template(value, ("initial_context",), allow_turn_names=False)
            return (value,)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            for index, item in enumerate(value):
                self.check_template(item, ("initial_context", index), allow_turn_names=False)
            return tuple(value)
        self.fail(("initial_context",),
                  f"`initial_context` must be a string or a list of strings, not {_kind(value)}",
                  'write initial_context: ["Customer is a premium member"]')
        return ()

    def duration(self, data: Mapping[str, Any], key: str, path: Path, default: float,
                 positive: bool = False) -> float:
        if key not in data:
            return default
        value = data[key]
        here = (*path, key)
        if self.deferred(value):
            return default
        try:
            seconds = parse_duration(value)
        except DurationError as error:
            message, _, fix = str(error).partition("; ")
            self.fail(here, message, fix)
            return default
        if positive and seconds <= 0:
            self.fail(here, f"`{key}` must be longer than zero", f"write e.g. {key}: 30m")
            return default
        if key == "latency" and seconds > MAX_LATENCY:
            self.fail(here, f"a latency of {seconds:g}s is longer than the {MAX_LATENCY:g}s limit",
                      "use a shorter latency; to test a dead server use a fault instead")
            return default
        return seconds

    def template(self, data: Mapping[str, Any], key: str, path: Path,
                 default: str | None) -> str | None:
        if key not in data:
            return default
        value = data[key]
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # `reply: 42` obviously means the text "42"
        if not isinstance(value, str):
            self.fail((*path, key), f"`{key}` must be text or null, not {_kind(value)}",
                      f'write {key}: "Sure, I can help."')
            return default
        self.check_template(value, (*path, key), allow_turn_names=True)
        return value

    def check_template(self, text: str, path: Path, allow_turn_names: bool) -> None:
        try:
            check_syntax(text)
        except BadPlaceholder as error:
            self.fail(path, str(error), "write placeholders as {{ name }}")
            return
        if self.allow_variables:
            return
        for name in placeholders(text):
            if allow_turn_names and name in MOCK_TURN_NAMES:
                continue
            self.fail(path, f"undefined variable '{name}'",
                      "a mock reply can use {{ message }}, {{ whisper }} and {{ context }}"
                      if allow_turn_names else "write the text out")

    # -- rules -----------------------------------------------------------------

    def rules(self, value: Any) -> tuple[Rule, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(("replies",), f"`replies` must be a list of rules, not {_kind(value)}",
                      'write replies: [{when: "(?i)refund", reply: "Sure."}]')
            return ()
        return tuple(r for i, item in enumerate(value) if (r := self.rule(item, i)) is not None)

    def rule(self, value: Any, index: int) -> Rule | None:
        path: Path = ("replies", index)
        data = self.mapping(value, path, RULE_KEYS, "a reply rule",
                            '{when: "(?i)refund", reply: "Sure."}')
        if data is None:
            return None
        when = self.when(data["when"], (*path, "when")) if "when" in data else None
        state = data.get("state")
        if state is not None and not (isinstance(state, str) and state.strip()):
            self.fail((*path, "state"), f"`state` must be a state name, not {_kind(state)}"
                      if not isinstance(state, str) else "`state` is empty",
                      "write state: collect_order")
            state = None
        help_requested = data.get("help_requested")
        if help_requested is not None and not isinstance(help_requested, bool):
            if not self.deferred(help_requested):
                self.fail((*path, "help_requested"),
                          f"`help_requested` must be true or false, not {_kind(help_requested)}",
                          "write help_requested: true")
            help_requested = None
        fault = self.fault(data["fault"], (*path, "fault"), FAULT_KEYS) if "fault" in data else None
        return Rule(
            when=when,
            reply=self.template(data, "reply", path, None),
            state=state,
            help_requested=help_requested,
            latency=self.duration(data, "latency", path, 0.0),
            fault=fault,
            choices=self.choices(data, path),
            flaky=self.flaky(data.get("flaky"), (*path, "flaky")),
            index=index,
            where=location(data, "when"),
        )

    def choices(self, data: Mapping[str, Any], path: Path) -> tuple[str | None, ...]:
        if "choose" not in data:
            return ()
        value = data["choose"]
        here = (*path, "choose")
        if "reply" in data:
            self.fail(here, "a rule has either `reply` or `choose`, not both",
                      "put the reply into the `choose` list")
            return ()
        if not isinstance(value, list) or not value:
            self.fail(here, f"`choose` must be a non-empty list of replies, not {_kind(value)}",
                      'write choose: ["Sure.", "Of course.", "Happy to help."]')
            return ()
        picked: list[str | None] = []
        for index, item in enumerate(value):
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = str(item)
            if item is not None and not isinstance(item, str):
                self.fail((*here, index), f"a reply must be text or null, not {_kind(item)}",
                          'write e.g. - "Sure."')
                continue
            if item is not None:
                self.check_template(item, (*here, index), allow_turn_names=True)
            picked.append(item)
        return tuple(picked)

    def flaky(self, value: Any, path: Path) -> Flaky | None:
        if value is None:
            return None
        data = self.mapping(value, path, ("every", "reply"), "`flaky`",
                            'flaky: {every: 3, reply: "Sorry, what?"}')
        if data is None:
            return None
        every = data.get("every")
        if self.deferred(every):
            every = 1
        elif isinstance(every, bool) or not isinstance(every, int) or every < 1:
            shown = repr(every) if isinstance(every, (int, float)) else _kind(every)
            self.fail((*path, "every"), f"`every` must be a whole number ≥ 1, not {shown}",
                      "write every: 3 (runs 3, 6, 9... give the flaky reply)")
            return None
        if "reply" not in data:
            self.fail(path, "`flaky` needs the `reply` to give in its runs",
                      'add e.g. reply: "Sorry, I did not get that." (or reply: null)')
            return None
        return Flaky(every, self.template(data, "reply", path, None))

    def when(self, spec: Any, path: Path) -> Condition | None:
        if self.deferred_tree(spec):
            return None
        try:
            if isinstance(spec, str):
                return _on_message(compile_text_matcher(spec, bare_string_is_regex=True, path=path,
                                                    allow_judge=False))
            if not isinstance(spec, dict):
                self.fail(path, f"`when` must be a regular expression or a mapping, "
                          f"not {_kind(spec)}",
                          'write when: "(?i)refund" or when: {whisper: {matches: "."}}; '
                          "leave `when` out to match every turn")
                return None
            fields = [k for k in spec if k in WHEN_FIELDS]
            matcher = [k for k in spec if k in TEXT_MATCHER_KEYS]
            unknown = [k for k in spec if k not in WHEN_FIELDS and k not in TEXT_MATCHER_KEYS]
            if unknown:
                key = str(unknown[0])
                self.fail((*path, key), f"unknown key '{key}'"
                          f"{did_you_mean(key, (*WHEN_FIELDS, *TEXT_MATCHER_KEYS))}",
                          "use message, whisper, context or state (each a text matcher), "
                          "or text-matcher keys such as contains and matches", names_parent=True)
                return None
            if fields and matcher:
                self.fail(path, f"`when` mixes text-matcher keys ({', '.join(matcher)}) with "
                          f"turn fields ({', '.join(fields)})",
                          "move the message conditions under `message:`, e.g. "
                          "when: {message: {contains: refund}, whisper: {matches: .}}")
                return None
            if matcher:
                return _on_message(compile_text_matcher(spec, bare_string_is_regex=True,
                                                        path=path, allow_judge=False))
            if not fields:
                self.fail(path, "an empty `when` checks nothing",
                          "leave `when` out to match every turn")
                return None
            compiled = {name: compile_text_matcher(spec[name], bare_string_is_regex=True,
                                                   path=(*path, name), allow_judge=False)
                        for name in fields}
            return _on_fields(compiled)
        except MatcherError as error:
            self.fail(error.path or path, error.message, error.fix)
            return None

    def deferred_tree(self, value: Any) -> bool:
        if isinstance(value, dict):
            return any(self.deferred_tree(v) for v in value.values())
        if isinstance(value, list):
            return any(self.deferred_tree(v) for v in value)
        return self.deferred(value)

    # -- faults ----------------------------------------------------------------

    def agent_faults(self, value: Any) -> tuple[AgentFault, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(("faults",), f"`faults` must be a list, not {_kind(value)}",
                      "write faults: [{on: inbound, status: 502, times: 1}]")
            return ()
        faults = []
        for index, item in enumerate(value):
            path: Path = ("faults", index)
            response = self.fault(item, path, AGENT_FAULT_KEYS)
            if response is None:
                continue
            on = item.get("on", "any")
            if on not in FAULT_TARGETS:
                shown = f"'{on}'" if isinstance(on, str) else _kind(on)
                hint = did_you_mean(on, FAULT_TARGETS) if isinstance(on, str) else ""
                self.fail((*path, "on"), f"`on` must be {one_of(FAULT_TARGETS)}, not {shown}{hint}",
                          "write on: inbound")
                continue
            times = item.get("times")
            if times is not None and self.deferred(times):
                times = None
            elif times is not None and (not isinstance(times, int) or isinstance(times, bool)
                                        or times < 1):
                shown = repr(times) if isinstance(times, (int, float)) else _kind(times)
                self.fail((*path, "times"), f"`times` must be a whole number ≥ 1, not {shown}",
                          "write times: 2 (or leave it out to fail every request)")
                continue
            faults.append(AgentFault(on, times, response))
        return tuple(faults)

    def fault(self, value: Any, path: Path, keys: tuple[str, ...]) -> FaultResponse | None:
        data = self.mapping(value, path, keys, "a fault", "{status: 502}")
        if data is None:
            return None
        before = len(self.issues)
        status = data.get("status")
        if "status" not in data:
            self.fail(path, "a fault needs a `status`", "add e.g. status: 502")
        elif self.deferred(status):
            status = 500
        elif not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
            shown = repr(status) if isinstance(status, (int, float)) else _kind(status)
            self.fail((*path, "status"), f"`status` must be an HTTP error status from 400 to 599, "
                      f"not {shown}", "write status: 502")
        error = data.get("error")
        if error is not None and not isinstance(error, str):
            self.fail((*path, "error"), f"`error` must be text, not {_kind(error)}",
                      "write error: engine_unavailable")
        upstream = data.get("upstream_body")
        if upstream is not None and not isinstance(upstream, dict):
            self.fail((*path, "upstream_body"),
                      f"`upstream_body` must be a mapping or null, not {_kind(upstream)}",
                      "write upstream_body: {state: busy, reason: engine_overloaded}")
        body = data.get("body")
        if body is not None and not isinstance(body, str):
            self.fail((*path, "body"), f"`body` must be text, not {_kind(body)}",
                      'write body: "<html><body>502 Bad Gateway</body></html>"')
        headers = self.headers(data.get("headers"), (*path, "headers"))
        if len(self.issues) > before or not isinstance(status, int):
            return None
        return FaultResponse(status=status, error=error,
                             upstream_body=dict(upstream) if upstream is not None else None,
                             has_upstream_body="upstream_body" in data, body=body,
                             headers=headers)

    def headers(self, value: Any, path: Path) -> tuple[tuple[str, str], ...]:
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.fail(path, f"`headers` must be a mapping, not {_kind(value)}",
                      'write headers: {Retry-After: "1"}')
            return ()
        result = []
        for name, raw in value.items():
            here = (*path, name)
            if not _HEADER_NAME.match(str(name)) or str(name).lower() in _RESERVED_HEADERS:
                self.fail(here, f"'{name}' cannot be used as a response header name",
                          "use a plain header name such as Retry-After; Content-Length, "
                          "Transfer-Encoding and Connection are set by the server")
                continue
            if isinstance(raw, bool) or not isinstance(raw, (str, int)):
                self.fail(here, f"header values must be text or a number, not {_kind(raw)}",
                          f'write {name}: "1"')
                continue
            text = str(raw)
            if any(c in text for c in "\r\n\0") or not text.isprintable() or not _latin1(text):
                self.fail(here, "header values must be printable text on one line",
                          "remove line breaks and control or non-Latin-1 characters")
                continue
            result.append((str(name), text))
        return tuple(result)


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _on_message(matcher: TextMatcher) -> Condition:
    return lambda turn: matcher.check(turn.message) is None


def _on_fields(matchers: dict[str, TextMatcher]) -> Condition:
    checks = tuple(matchers.items())
    return lambda turn: all(m.check(getattr(turn, name)) is None for name, m in checks)

