"""Checks of a mock agent that its schema cannot express.

``schemas/mock-agent.schema.json`` decides what a mock agent is; this is the
mock language's check step, the counterpart of :mod:`runner.language.checks`
for scenarios. It looks only at values of the kind the schema asked for, and
never at a place the schema refused (``rejected``), so each mistake is
reported once: regular expressions and matchers in ``when``, durations,
``{{ placeholders }}`` (and the regex groups ``{{ match.N }}`` reads), the
``turn`` bounds, and response headers.

Where a scenario fills in variables (``variables=True``: a scenario's
``mock:`` or a shared mock file), a value that holds a scenario variable is
left alone until it is filled in; an agents file has no variables, so there
every placeholder must be one the mock fills at each turn.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from runner.core.errors import Problem
from runner.core.suggest import did_you_mean
from runner.language.durations import DurationError, parse_duration, written
from runner.language.locate import dotted_path, one_per_line, yaml_inline
from runner.language.matchers import MatcherError, compile_text_matcher
from runner.language.mock_agent import CONDITION_FIELDS, TURN_FIELD, WHEN_FIELDS
from runner.language.mock_captures import capture_regex, group_names, match_names
from runner.language.templating import (
    MOCK_TURN_NAMES,
    BadPlaceholder,
    check_syntax,
    is_known,
    placeholders,
)
from runner.language.yamlsrc import line_at

__all__ = ["MAX_LATENCY", "mock_problems"]

Path = tuple[str | int, ...]

MAX_LATENCY = 600.0
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Framing headers belong to the HTTP server; overriding them breaks the connection.
_RESERVED_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})

_PLACEHOLDER_FIX = "write placeholders as {{ name }}"
_REPLY_NAMES_FIX = ("a mock reply can use {{ message }}, {{ whisper }}, {{ last_whisper }}, "
                    "{{ context }}, {{ turn }} and {{ match.1 }}")
_NOT_A_REPLY_FIX = ("{{ message }}, {{ whisper }}, {{ context }} and the other turn names are "
                    "filled in only in replies; write the text out")
_NO_WHEN_REGEX_FIX = 'write e.g. when: "order (\\d+)"'
_NO_VARIABLES_FIX = "write the text out"


def mock_problems(spec: Any, file: str, where: str = "mock", *, variables: bool = True,
                  rejected: Collection[Path] = ()) -> list[Problem]:
    """Every problem the schema cannot see in the mock agent ``spec``, one per line.

    ``where`` names the agent in messages (``mock``, or an agents file's uuid);
    paths in ``rejected`` (and everything above or below them) were refused by
    the schema already and are not looked at.
    """
    if not isinstance(spec, dict):
        return []
    checker = _AgentChecker(spec, file, where, variables, tuple(rejected))
    checker.run()
    return one_per_line(sorted(checker.problems, key=lambda p: p.line), spec)


@dataclass
class _AgentChecker:
    spec: Mapping[str, Any]
    file: str
    where: str
    variables: bool
    rejected: tuple[Path, ...]
    problems: list[Problem] = field(default_factory=list)

    def add(self, path: Path, message: str, fix: str) -> None:
        self.problems.append(Problem(self.file, line_at(self.spec, path),
                                     f"{dotted_path(self.where, path)}: {message}", fix))

    def refused(self, path: Path) -> bool:
        """Whether the schema objected to this place, something in it, or what holds it."""
        return any(path[:len(r)] == r or r[:len(path)] == path for r in self.rejected)

    def waits_for_variables(self, value: Any) -> bool:
        """Whether ``value`` (or something in it) holds a scenario variable not filled in yet."""
        return self.variables and any(
            not is_known(name, MOCK_TURN_NAMES) for text in _strings_in(value)
            for name in placeholders(text))

    def rules(self) -> Iterator[tuple[Path, Mapping[str, Any]]]:
        replies = self.spec.get("replies")
        if isinstance(replies, list):
            for index, rule in enumerate(replies):
                if isinstance(rule, dict):
                    yield ("replies", index), rule

    def appends(self) -> Iterator[tuple[Path, Mapping[str, Any]]]:
        items = self.spec.get("append")
        if isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, dict):
                    yield ("append", index), item

    def run(self) -> None:
        self.check_placeholders()
        self.check_duration(self.spec, (), "dormant_after", positive=True)
        self.check_duration(self.spec, (), "latency", limit=MAX_LATENCY)
        self.check_faults()
        for path, rule in self.rules():
            if "when" in rule:
                self.check_when(rule["when"], (*path, "when"))
            self.check_duration(rule, path, "latency", limit=MAX_LATENCY)
            self.check_captures(rule, path)
        for path, item in self.appends():
            if "when" in item:
                self.check_when(item["when"], (*path, "when"))
            self.check_captures(item, path)
        default = self.spec.get("default_reply")
        used = match_names(default, placeholders(default)) if isinstance(default, str) else []
        if used and not self.refused(("default_reply",)):
            self.add(("default_reply",), f"{{{{ match.{used[0]} }}}} needs a `when` regex, "
                     "and default_reply has none", "move this reply into a rule under replies")

    # -- placeholders ----------------------------------------------------------

    def check_placeholders(self) -> None:
        """Well-formed everywhere; and the names a value can use where it is used."""
        for text, path in _strings_with_paths(self.spec, ()):
            if self.refused(path):
                continue
            try:
                check_syntax(text)
            except BadPlaceholder as error:
                self.add(path, str(error), _PLACEHOLDER_FIX)
                continue
            if _is_reply(path):
                if not self.variables:
                    self.check_names(text, path, MOCK_TURN_NAMES, _REPLY_NAMES_FIX)
            elif path[:1] == ("initial_context",):
                # The context is set before any turn: no turn name is filled in there.
                self.check_names(text, path, frozenset(), _NOT_A_REPLY_FIX)

    def check_names(self, text: str, path: Path, allowed: frozenset[str], fix: str) -> None:
        """Names outside ``allowed``; a scenario variable waits to be filled in."""
        for name in placeholders(text):
            if is_known(name, allowed) or (self.variables and not is_known(name, MOCK_TURN_NAMES)):
                continue
            hint = did_you_mean(name, sorted(n for n in allowed if not n.endswith("*")))
            self.add(path, f"undefined variable '{name}'{hint}",
                     fix if allowed or is_known(name, MOCK_TURN_NAMES) else _NO_VARIABLES_FIX)
            return  # one per value: its line is the place to fix

    def check_captures(self, rule: Mapping[str, Any], path: Path) -> None:
        """Each `{{ match.X }}` in the rule's replies names a group of its `when` regex."""
        when = rule.get("when")
        if self.refused((*path, "when")) or self.waits_for_variables(when):
            return
        regex = capture_regex(when)
        groups = group_names(regex[0]) if regex is not None else None
        for text, here in _strings_with_paths(rule, path):
            names = match_names(text, placeholders(text)) if _is_reply(here) else []
            if not names or self.refused(here):
                continue
            if regex is None:
                self.add(here, f"{{{{ match.{names[0]} }}}} needs a `when` that is a regex "
                               "or has `matches:`", _NO_WHEN_REGEX_FIX)
            elif groups is not None:  # an invalid regex is reported at the `when`
                unknown = [name for name in names if name not in groups]
                if unknown:
                    hint = did_you_mean(unknown[0], groups)
                    self.add(here, f"the `when` regex has no group '{unknown[0]}'{hint}",
                             "use " + _group_list(groups))

    # -- durations -------------------------------------------------------------

    def check_duration(self, data: Mapping[str, Any], path: Path, key: str, *,
                       positive: bool = False, limit: float | None = None) -> None:
        here = (*path, key)
        value = data.get(key)
        if key not in data or self.refused(here) or self.waits_for_variables(value):
            return
        try:
            seconds = parse_duration(value)
        except DurationError as error:
            shown = yaml_inline(value) if isinstance(value, str) else written(value)
            self.add(here, f"`{key}: {shown}` {error.reason}", error.fix)
            return
        if positive and seconds <= 0:
            self.add(here, f"`{key}` must be longer than zero", f"write e.g. {key}: 30m")
        elif limit is not None and seconds > limit:
            self.add(here, f"a latency of {seconds:g}s is longer than the {limit:g}s limit",
                     "use a shorter latency; to test a dead server use a fault instead")

    # -- when ------------------------------------------------------------------

    def check_when(self, spec: Any, path: Path) -> None:
        """Compile the rule's condition as the mock will: its regexes, its matchers."""
        if self.refused(path) or self.waits_for_variables(spec):
            return
        if isinstance(spec, dict) and isinstance(spec.get(TURN_FIELD), dict):
            bounds = spec[TURN_FIELD]
            if isinstance(bounds.get("min"), int) and isinstance(bounds.get("max"), int) \
                    and bounds["min"] > bounds["max"]:
                self.add((*path, TURN_FIELD), "`turn` has min greater than max",
                         "write e.g. turn: {min: 2, max: 4}")
        try:
            if isinstance(spec, dict) and any(key in CONDITION_FIELDS for key in spec):
                for name in WHEN_FIELDS:
                    if name in spec:
                        compile_text_matcher(spec[name], bare_string_is_regex=True,
                                             path=(*path, name), allow_judge=False)
            elif isinstance(spec, (str, dict)):
                compile_text_matcher(spec, bare_string_is_regex=True, path=path,
                                     allow_judge=False)
        except MatcherError as error:
            self.add(error.path or path, error.message, error.fix)

    # -- faults ----------------------------------------------------------------

    def check_faults(self) -> None:
        faults: list[tuple[Path, Any]] = []
        agent_faults = self.spec.get("faults")
        if isinstance(agent_faults, list):
            faults += [(("faults", i), f) for i, f in enumerate(agent_faults)]
        faults += [((*path, "fault"), rule["fault"]) for path, rule in self.rules()
                   if "fault" in rule]
        for path, fault in faults:
            if isinstance(fault, dict) and isinstance(fault.get("headers"), dict):
                self.check_headers(fault["headers"], (*path, "headers"))

    def check_headers(self, headers: Mapping[str, Any], path: Path) -> None:
        for name, value in headers.items():
            here = (*path, name)
            if self.refused(here):
                continue
            if not _HEADER_NAME.match(str(name)) or str(name).lower() in _RESERVED_HEADERS:
                self.add(here, f"'{name}' cannot be used as a response header name",
                         "use a plain header name such as Retry-After; Content-Length, "
                         "Transfer-Encoding and Connection are set by the server")
                continue
            text = str(value)
            if any(c in text for c in "\r\n\0") or not text.isprintable() or not _latin1(text):
                self.add(here, "header values must be printable text on one line",
                         "remove line breaks and control or non-Latin-1 characters")


def _group_list(groups: list[str]) -> str:
    shown = [f"{{{{ match.{name} }}}}" for name in groups]
    shown[0] += " (the whole match)"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _is_reply(path: Path) -> bool:
    """Whether the text at ``path`` is a reply, which the mock fills in at each turn."""
    if path == ("default_reply",) or (len(path) == 3 and path[0] == "append"
                                      and path[2] == "text"):
        return True
    if len(path) < 3 or path[0] != "replies":
        return False
    rest = path[2:]
    return rest in (("reply",), ("flaky", "reply")) or (len(rest) == 2 and rest[0] == "choose")


def _strings_in(value: Any) -> Iterator[str]:
    for text, _ in _strings_with_paths(value, ()):
        yield text


def _strings_with_paths(node: Any, path: Path) -> Iterator[tuple[str, Path]]:
    if isinstance(node, str):
        yield node, path
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings_with_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings_with_paths(value, (*path, index))


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True
