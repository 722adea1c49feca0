"""Static checks a JSON Schema cannot express.

They run on documents the schema accepted, so the shapes are known to be right;
what is checked here is how the parts relate: the order of steps, which names
are defined where, which expectations an action can observe at all, and values
(regexes, durations) that need real parsing. Every problem is reported at the
line of the offending key, with what to write instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from runner.core.errors import Problem
from runner.core.pass_statistics import lower_bound, percent, runs_to_reach
from runner.core.suggest import did_you_mean
from runner.language.agents import check_agents
from runner.language.durations import DurationError, parse_duration, written
from runner.language.locate import child, dedupe, line_in, show, yaml_inline
from runner.language.matchers import MatcherError, compile_list_matcher, compile_text_matcher
from runner.language.mock_checks import mock_problems
from runner.language.model import (
    ACTIONS,
    API_ACTIONS,
    BUILTIN_VARS,
    SESSION_ACTIONS,
    SUPPORT_ENDPOINT_ACTIONS,
)
from runner.language.parties import check_party_names
from runner.language.templating import (
    MOCK_TURN_NAMES,
    BadPlaceholder,
    check_syntax,
    is_known,
    placeholders,
)
from runner.language.validation import SCENARIO_SCHEMA, check_against

__all__ = ["check_document", "static_checks"]

# Which actions' answers carry each field: the single source for both the
# `expect:` and the `save:` applicability checks.
_FIELD_ON: dict[str, frozenset[str]] = {
    "reply": frozenset({"customer", "tell"}),
    "mode": frozenset({"customer"}),
    "help_requested": frozenset({"customer"}),
    "session": frozenset({"customer"}),
    "active_human": frozenset({"takeover"}),
    "context": frozenset({"inject_context"}),
    "state": API_ACTIONS,
    "error": API_ACTIONS,
    "within": API_ACTIONS,
    "session_id": API_ACTIONS,
    "command": SUPPORT_ENDPOINT_ACTIONS,
    "status": frozenset({"request"}),
    "body": frozenset({"request"}),
}

# What each action's answer holds, to say WHY a field cannot be checked there.
_ANSWERS = {
    "customer": "the inbound API answers session_id, reply, state, mode and help_requested",
    "tell": "the support API answers only state, session_id, command and reply",
    "takeover": "the support API answers only state, session_id, command and active_human",
    "whisper": "the support API answers only state, session_id and command",
    "operator": "the support API answers only state, session_id and command",
    "end": "the support API answers only state, session_id and command",
    "close": "the support API answers only state, session_id and command",
    "inject_context": "the inject_context API answers only session_id and context",
    "request": "a raw request's answer is checked as it came, by `status`, `body` and `headers`",
}

_VARIABLE_FIX = "define it under `vars:`, in every `examples` row, or `save:` it in an earlier step"
_PLACEHOLDER_FIX = ("write placeholders as {{ name }} or {{ env.NAME }}: letters, digits and _, "
                    "starting with a letter or _")


def static_checks(data: object, file: str, env: Mapping[str, str], *,
                  known_vars: Iterable[str] = ()) -> list[Problem]:
    """Every problem the schema cannot see, one per line, in line order."""
    if not isinstance(data, dict):
        return []
    checker = _DocumentChecker(data, file, env, set(known_vars))
    checker.run()
    return dedupe(sorted(checker.problems, key=lambda p: p.line))


@dataclass
class _Step:
    """A step with where it is: block ('steps'/'finally') and its 0-based index."""

    block: str
    index: int
    spec: Mapping[str, Any]

    @property
    def action(self) -> str:
        return next((k for k in ACTIONS if k in self.spec), "")

    @property
    def label(self) -> str:
        return f"step {self.index + 1}" if self.block == "steps" else (
            f"`finally` step {self.index + 1}")

    @property
    def path(self) -> tuple[str | int, ...]:
        return (self.block, self.index)

    def saves(self) -> list[str]:
        save = self.spec.get("save")
        return [str(k) for k in save] if isinstance(save, dict) else []


@dataclass
class _DocumentChecker:
    data: Mapping[str, Any]
    file: str
    env: Mapping[str, str]
    known_vars: set[str]
    problems: list[Problem] = field(default_factory=list)

    def add(self, path: Iterable[str | int], message: str, fix: str) -> None:
        self.problems.append(Problem(self.file, line_in(self.data, path), message, fix))

    def steps(self, block: str) -> list[_Step]:
        raw = self.data.get(block)
        if not isinstance(raw, list):
            return []
        return [_Step(block, i, s) for i, s in enumerate(raw) if isinstance(s, dict)]

    def run(self) -> None:
        self.check_examples()
        self.check_session_order()
        check_party_names(self.data, [(s.path, s.spec) for s in
                                      self.steps("steps") + self.steps("finally")], self.add)
        self.problems += check_agents(self.data, self.file, self.add)
        for step in self.steps("steps") + self.steps("finally"):
            self.check_applicable(step)
            self.check_matchers(step)
            self.check_save_names(step)
        self.check_invariants()
        self.check_durations()
        self.check_variables()
        self.check_mock()
        self.check_repeat()

    # (f) examples rows ------------------------------------------------------------------

    def check_examples(self) -> None:
        rows = self.data.get("examples")
        if not isinstance(rows, list):
            return
        all_keys: dict[str, int] = {}
        for number, row in enumerate(rows, start=1):
            if isinstance(row, dict):
                for key in row:
                    if key != "id":
                        all_keys.setdefault(str(key), number)
        ids: dict[str, int] = {}
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                continue
            number = index + 1
            if "id" in row:
                row_id = row["id"]
                if not isinstance(row_id, str):
                    self.add(("examples", index, "id"),
                             f"examples row {number} has id {show(row_id)}, which is not text",
                             f'put it in quotes: id: "{yaml_inline(row_id)}"')
                elif row_id in ids:
                    self.add(("examples", index, "id"),
                             f"examples row {number} has the same id '{row_id}' as "
                             f"row {ids[row_id]}",
                             "give each row its own `id`; it names the test")
                else:
                    ids[row_id] = number
            missing = [k for k in all_keys if k not in row]
            if missing:
                first = all_keys[missing[0]]
                names = ", ".join(f"'{k}'" for k in missing)
                self.add(("examples", index),
                         f"examples row {number} does not define {names} (row {first} does)",
                         "give every row the same keys, or move a value shared by all rows "
                         "to `vars:`")

    # (a) session-scoped steps need a session --------------------------------------------

    def check_session_order(self) -> None:
        for step in self.steps("steps") + self.steps("finally"):
            action = step.action
            if action == "customer":
                return
            if action in SESSION_ACTIONS and "session_id" not in step.spec:
                self.add((*step.path, action),
                         f"`{action}` needs a session, but no `customer` step has run yet",
                         "add a `customer:` step before it, or give `session_id:`")
                return  # later ones have the same cause

    # (c) expectations and saves the action cannot observe -------------------------------

    def check_applicable(self, step: _Step) -> None:
        action = step.action
        for part in ("expect", "save"):
            block = step.spec.get(part)
            if not isinstance(block, dict) or not block:
                continue
            if action == "wait":
                verb = "check" if part == "expect" else "save"
                self.add((*step.path, part),
                         f"a `wait` step makes no API call, so there is nothing to {verb}",
                         f"move `{part}:` to the step before or after the wait")
                continue
            if action == "simulate":
                self.add((*step.path, part),
                         f"a `simulate` step makes its own turns, so `{part}:` has no answer "
                         "to apply to",
                         "write `stop_when:` inside `simulate:`, or rules for every turn under "
                         "`invariants:`")
                continue
            for key, value in block.items():
                target = key if part == "expect" else value
                allowed = _FIELD_ON.get(str(target))
                if allowed is None or action in allowed:
                    continue
                if part == "expect":
                    self.add((*step.path, part, key),
                             f"`{key}` cannot be checked on {_a(action)} step: "
                             f"{_ANSWERS[action]}",
                             _expect_instead(str(key), value, action))
                else:
                    self.add((*step.path, part, key),
                             f"`{target}` cannot be saved from {_a(action)} step: "
                             f"{_ANSWERS[action]}",
                             f"save it from {_actions_text(allowed)} step")

    # (d) matchers -----------------------------------------------------------------------

    def check_matchers(self, step: _Step) -> None:
        expect = step.spec.get("expect")
        base = (*step.path, "expect")
        simulate = step.spec.get("simulate")
        if isinstance(simulate, dict):  # its `stop_when` is an expect block too
            expect, base = simulate.get("stop_when"), (*step.path, "simulate", "stop_when")
        if not isinstance(expect, dict):
            return
        for key in ("reply", "state", "active_human", "command"):
            if key in expect:
                self.compile((*base, key), expect[key], text=True)
        for group in ("data", "body", "headers"):  # {path or header name: text matcher}
            entries = expect.get(group)
            for name, spec in entries.items() if isinstance(entries, dict) else ():
                if not isinstance(spec, (bool, int, float)):  # those compare as JSON text
                    self.compile((*base, group, name), spec, text=True)
        if "context" in expect:
            self.compile((*base, "context"), expect["context"], text=False)
        error = expect.get("error")
        if isinstance(error, dict):
            for key in ("code", "reason"):
                if key in error:
                    self.compile((*base, "error", key), error[key], text=True)

    def check_invariants(self) -> None:
        invariants = self.data.get("invariants")
        if isinstance(invariants, dict) and "reply_never" in invariants:
            self.compile(("invariants", "reply_never"), invariants["reply_never"], text=True)

    def compile(self, path: tuple[str | int, ...], spec: Any, *, text: bool) -> None:
        try:
            if text:
                compile_text_matcher(spec)
            else:
                compile_list_matcher(spec)
        except MatcherError as error:
            self.add((*path, *error.path), error.message, error.fix)

    # (g) save names ---------------------------------------------------------------------

    def check_save_names(self, step: _Step) -> None:
        if "env" in step.saves():
            self.add((*step.path, "save", "env"),
                     "cannot save to 'env': that name is reserved for environment variables "
                     "({{ env.NAME }})",
                     "choose another name, e.g. env_value")

    # (e) durations ----------------------------------------------------------------------

    def check_repeat(self) -> None:
        """``repeat.confidence`` that no number of passing runs could satisfy."""
        repeat = self.data.get("repeat")
        if not isinstance(repeat, dict):
            return
        runs, rate = repeat.get("runs"), repeat.get("min_pass_rate", 1)
        confidence = repeat.get("confidence")
        if not (isinstance(runs, int) and isinstance(rate, (int, float))
                and isinstance(confidence, (int, float)) and 0 < confidence < 1):
            return  # the schema words these
        if lower_bound(runs, runs, confidence) >= rate - 1e-9:
            return
        enough, best = runs_to_reach(rate, confidence), lower_bound(runs, runs, confidence)
        self.add(("repeat", "confidence"),
                 f"`repeat` can never pass: even {runs}/{runs} passing runs give a "
                 f"{percent(confidence)} lower bound of {percent(best)}, "
                 f"below min_pass_rate {rate:g}",
                 (f"write `runs: {enough}` or more, or a lower min_pass_rate" if enough else
                  "write a min_pass_rate below 1 (the lower bound never reaches 1)")
                 + " or a lower confidence")

    def check_durations(self) -> None:
        paths: list[tuple[str | int, ...]] = [("timeout",)]
        for step in self.steps("steps") + self.steps("finally"):
            paths += [(*step.path, "wait"), (*step.path, "expect", "within")]
        for path in paths:
            found, value = _get(self.data, path)
            if not found or (isinstance(value, str) and "{{" in value):
                continue
            try:
                parse_duration(value)
            except DurationError as error:
                shown = yaml_inline(value) if isinstance(value, str) else written(value)
                self.add(path, f"`{path[-1]}: {shown}` {error.reason}", error.fix)

    # (h) an inline mock agent -------------------------------------------------------------

    def check_mock(self) -> None:
        """What the mock agent schema cannot say, checked as for an agents file."""
        mock = self.data.get("mock")
        if isinstance(mock, dict):
            self.problems += mock_problems(mock, self.file, "mock", variables=True)

    # (b) variables ----------------------------------------------------------------------

    def static_names(self) -> set[str]:
        names = set(BUILTIN_VARS) | self.known_vars
        variables = self.data.get("vars")
        if isinstance(variables, dict):
            names |= {str(k) for k in variables}
        rows = self.data.get("examples")
        if isinstance(rows, list):
            # Keys missing from some rows are reported by check_examples, once.
            names |= {str(k) for row in rows if isinstance(row, dict) for k in row if k != "id"}
            names.add("id")  # every row has one: written, or made from its values
        return names

    def check_variables(self) -> None:
        static = self.static_names()
        steps, finals = self.steps("steps"), self.steps("finally")
        saved_by: dict[str, _Step] = {}
        for step in steps + finals:
            for name in step.saves():
                saved_by.setdefault(name, step)
        every_name = static | set(saved_by) | MOCK_TURN_NAMES
        for key in ("scenario", "agent", "customer", "skip", "xfail", "vars", "invariants"):
            self.check_strings((key,), static, every_name, None, saved_by)
        # The scenario's judge is filled in after the last step: every saved name is set.
        self.check_strings(("judge",), static | set(saved_by), every_name, None, saved_by)
        # The mock is filled in with vars and the examples row before the first step. An
        # inline agent's placeholders are well-formed or not as in an agents file: check_mock.
        self.check_strings(("mock",), static | MOCK_TURN_NAMES, every_name, None, saved_by,
                           syntax=not isinstance(self.data.get("mock"), dict))
        agents = self.data.get("agents")
        for name, spec in agents.items() if isinstance(agents, dict) else ():  # as `mock:`
            self.check_strings(("agents", name, "id"), static, every_name, None, saved_by)
            self.check_strings(("agents", name, "mock"), static | MOCK_TURN_NAMES, every_name,
                               None, saved_by, syntax=not isinstance((spec or {}).get("mock"),
                                                                     dict))
        available = set(static)
        for step in steps:
            self.check_strings(step.path, available, every_name, step, saved_by)
            available |= set(step.saves())
        for step in finals:  # `finally` may use anything `steps` saved
            self.check_strings(step.path, available, every_name, step, saved_by)
            available |= set(step.saves())

    def check_strings(self, path: tuple[str | int, ...], defined: set[str], every_name: set[str],
                      step: _Step | None, saved_by: Mapping[str, _Step], *,
                      syntax: bool = True) -> None:
        found, node = _get(self.data, path)
        if not found:
            return
        for text, where in _strings(node, path):
            if step is not None and where[len(path):len(path) + 1] == ("save",):
                continue
            try:
                if syntax:
                    check_syntax(text)
            except BadPlaceholder as error:
                self.add(where, str(error), _PLACEHOLDER_FIX)
                continue
            for name in placeholders(text):
                self.check_name(name, where, defined, every_name, step, saved_by)

    def check_name(self, name: str, where: tuple[str | int, ...], defined: set[str],
                   every_name: set[str], step: _Step | None,
                   saved_by: Mapping[str, _Step]) -> None:
        if name.startswith("env."):
            # A named agent's live `id` may be unset: that skips the run live, not the file.
            if name[4:] not in self.env and (where[:1], where[2:3]) != (("agents",), ("id",)):
                self.add(where, f"environment variable '{name[4:]}' is not set",
                         "export it before running, or use a `vars:` value")
            return
        if is_known(name, defined):  # `match.*` covers the mock's `match.1`
            return
        saver = saved_by.get(name)
        if saver is not None and step is not None:
            if saver is step:
                message = (f"'{name}' is saved by this same step, so it is not set yet "
                           "when the step runs")
            else:
                message = f"'{name}' is saved only by {saver.label}, after it is used"
            self.add(where, message, f"save it in a step before {step.label}, or use `vars:`")
            return
        if saver is not None:
            self.add(where, f"'{name}' is saved by {saver.label}, but this value is filled in "
                            "before any step runs", "use a `vars:` value instead")
            return
        hint = did_you_mean(name, sorted(every_name - MOCK_TURN_NAMES))
        self.add(where, f"undefined variable '{name}'{hint}", _VARIABLE_FIX)


def _get(data: Any, path: Iterable[str | int]) -> tuple[bool, Any]:
    node = data
    for part in path:
        found, node = child(node, part)
        if not found:
            return False, None
    return True, node


def _strings(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """Every string below ``node`` with its path, to report a placeholder at its line."""
    if isinstance(node, str):
        yield node, path
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, (*path, index))


def _a(action: str) -> str:
    """`takeover` with its article: a `takeover`, an `inject_context`."""
    return f"an `{action}`" if action[0] in "aeiou" else f"a `{action}`"


def _actions_text(actions: frozenset[str]) -> str:
    if actions == SUPPORT_ENDPOINT_ACTIONS:
        return "a support (takeover, tell, whisper, operator, end or close)"
    names = [f"`{a}`" for a in ACTIONS if a in actions]
    if len(names) > 3:
        return "an API"
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return ("an " if text.startswith("`inject") else "a ") + text


def _expect_instead(key: str, value: Any, action: str) -> str:
    """What to write instead of an expectation the action cannot observe."""
    written = f"{key}: {yaml_inline(value)}" if isinstance(value, (str, bool)) else key
    if action == "request":
        return f"check it by its path, e.g. `body: {{data.{key}: ...}}`"
    if key == "reply":
        if action == "whisper":
            return ("a whisper shapes the agent's NEXT reply: check `reply` on the next "
                    "`customer` step")
        return "check `reply` on the next `customer` step, or use `tell:`, which returns a reply"
    if key in ("mode", "help_requested", "session"):
        return f"check `{written}` on the next `customer` step"
    if key == "active_human":
        return "check `active_human` on the `takeover` step"
    if key == "context":
        return "check `context` on an `inject_context` step"
    if key in ("status", "body"):
        return (f"`{key}` is for `request` steps; on other steps check `error: {{status: ...}}` "
                "or `data: {path: ...}`")
    if key == "command":
        return "check `command` on a support step (takeover, tell, whisper, operator, end, close)"
    return f"check `{key}` on a step that makes an API call"


def check_document(data: object, file: str, env: Mapping[str, str], *,
                   known_vars: Iterable[str] = ()) -> list[Problem]:
    """Schema validation, then the static checks (only on documents the schema accepts).

    An inline mock agent is the exception: its checks need only the agent, so they
    run beside the schema's problems, on what the schema did not refuse, and it
    reports what an agents file holding the same agent would.
    ``known_vars`` are variable names defined outside the file (e.g. by the runner).
    """
    schema = check_against(data, file, SCENARIO_SCHEMA)
    if not schema.problems:
        return static_checks(data, file, env, known_vars=known_vars)
    mock = data.get("mock") if isinstance(data, dict) else None
    if not isinstance(mock, dict):
        return schema.problems
    refused = [path[1:] for path in schema.rejected if path[:1] == ("mock",)]
    problems = schema.problems + mock_problems(mock, file, "mock", rejected=refused)
    return dedupe(sorted(problems, key=lambda p: p.line))
