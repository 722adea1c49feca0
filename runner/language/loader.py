"""Turn a ``.scenario.yaml`` file into :class:`~runner.language.model.Scenario` objects.

Every document is validated (schema, static checks, its mock agent) before any
scenario is built; all problems of a file are raised together, so an author
fixes a file in one pass. ``examples`` rows expand into one scenario each.
Warnings (a valid file that may still hurt, such as a pattern that can
backtrack for ever) go to the caller's list, or else out as Python warnings
of the category :class:`ScenarioWarning`, which pytest lists in its summary.
"""

from __future__ import annotations

import re
import warnings as pywarnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runner.core.errors import Problem, ScenarioFileError
from runner.language.agent_extends import resolve_extends
from runner.language.agents import AgentMocks, build_agents, party_agents, resolve_agent_mocks
from runner.language.checks import check_document
from runner.language.durations import DurationError, filled_in, parse_duration
from runner.language.fragments import expand_includes
from runner.language.matchers import DEFAULT_JUDGE_SCORE
from runner.language.mock_files import MockFileCache
from runner.language.mock_spec import filled_in_problems
from runner.language.model import ACTIONS, ConversationJudge, Link, RepeatSpec, Scenario, Step
from runner.language.parties import party_ids
from runner.language.pattern_warnings import scenario_warnings
from runner.language.templating import (
    MOCK_TURN_NAMES,
    UndefinedVariable,
    render,
    render_tree,
    uses_env,
)
from runner.language.var_order import VariableCycle, resolve_variables
from runner.language.yamlsrc import YList, YMap, display_path, load_documents, read_text

__all__ = ["MockFileCache", "ScenarioWarning", "load_scenarios"]


class ScenarioWarning(UserWarning):
    """Something in a valid scenario file that may still cause trouble; named by file:line."""


def load_scenarios(path: Path, env: Mapping[str, str],
                   mock_cache: MockFileCache | None = None,
                   warnings: list[Problem] | None = None) -> list[Scenario]:
    """All scenarios of one file; raises :class:`ScenarioFileError` listing every problem.

    Warnings of a valid file are added to ``warnings``, or issued as
    :class:`ScenarioWarning` when no list is given.
    """
    cache = mock_cache or MockFileCache()
    text = read_text(path)
    documents = load_documents(text, path)
    file = str(path)
    if not documents:
        raise ScenarioFileError.single(file, 1, "the file holds no scenario",
                                       "write at least `scenario:` and `steps:`")
    source_lines = tuple(text.splitlines())
    problems: list[Problem] = []
    notes: list[Problem] = []
    scenarios: list[Scenario] = []
    for document in documents:
        data = document.data
        first = len(scenarios)
        expansion = expand_includes(data, path, cache) if isinstance(data, YMap) else None
        if expansion is not None and expansion.problems:
            problems.extend(expansion.problems)
            continue
        found = check_document(data, file, env)
        if not found and isinstance(data, YMap):
            mock, mock_source, mock_problems = _resolve_mock(data, path, cache)
            # A shared mock file's problems are the same for every document using it.
            found.extend(p for p in mock_problems if p not in problems)
            if not found and mock is not None:  # `extends:` merged in, once the child is valid
                mock, merge_problems = resolve_extends(mock, mock_source or path, cache)
                found.extend(p for p in merge_problems if p not in problems)
            agent_mocks: AgentMocks = {}
            if not found:  # `agents:`, each with its own mock (files read, extends merged)
                agent_mocks, agent_problems = resolve_agent_mocks(data, path, cache)
                found.extend(p for p in agent_problems if p not in problems)
            notes += scenario_warnings(data, file)
            # Each mock file's warnings once a run: those named here and those they
            # (or an inline mock) pull in by `extends:`.
            notes += cache.all_new_warnings()
            if not found:
                try:
                    scenarios.extend(_build(data, path, env, mock, mock_source, source_lines,
                                            agent_mocks))
                except UndefinedVariable as error:
                    found.append(Problem(file, data.line_of("mock"), str(error),
                                         "define it under `vars:` or in every `examples` row"))
                except _Refused as refused:
                    found.append(refused.problem)
                except ScenarioFileError as refused_mock:  # its mock, once filled in
                    found.extend(refused_mock.problems)
        if expansion is not None:  # fragments' lines back to their files
            found = [expansion.located(p) for p in found]
            scenarios[first:] = [expansion.scenario(s) for s in scenarios[first:]]
            notes = [expansion.located(n) for n in notes]
        problems.extend(found)
    problems.extend(_duplicate_names(scenarios, file))
    if problems:
        raise ScenarioFileError(problems)
    _warn(notes, warnings)
    return scenarios


def _warn(notes: list[Problem], into: list[Problem] | None) -> None:
    if into is not None:
        into.extend(notes)
        return
    for note in notes:
        text = f"{note.message}; {note.fix}" if note.fix else note.message
        pywarnings.warn_explicit(text, ScenarioWarning, display_path(note.file), note.line)


def _resolve_mock(data: YMap, path: Path,
                  cache: MockFileCache) -> tuple[Any, Path | None, list[Problem]]:
    spec = data.get("mock")
    if spec is None:
        return None, None, []
    if isinstance(spec, str):
        target = path.parent / spec
        refused = cache.problem(spec, target, path)
        if refused is not None:
            return None, None, [Problem(str(path), data.line_of("mock"), *refused)]
        loaded, problems = cache.get(target)
        return loaded, target, problems
    return spec, None, []  # an inline mock is checked with its scenario (check_document)


def _row_id(row: Mapping[str, Any], number: int) -> str:
    explicit = row.get("id")
    if explicit is not None:
        return str(explicit)
    values = [v for k, v in row.items() if k != "id"]
    if values and all(isinstance(v, (str, int, float, bool)) and len(str(v)) <= 24
                      for v in values):
        return "-".join(re.sub(r"[^\w.@+-]+", "_", str(v)) for v in values)
    return f"row{number}"


def _build(data: YMap, path: Path, env: Mapping[str, str], mock: Any,
           mock_source: Path | None, source_lines: tuple[str, ...],
           agent_mocks: AgentMocks | None = None) -> list[Scenario]:
    base_vars = dict(data.get("vars") or {})
    rows: list[Any] = list(data.get("examples") or [None])
    seen_ids: set[str] = set()
    built = []
    for number, row in enumerate(rows, start=1):
        variables = dict(base_vars)
        row_id: str | None = None
        row_values: dict[str, Any] = {}
        if row is not None:
            row_values = {k: v for k, v in row.items() if k != "id"}
            variables.update(row_values)
            row_id = _row_id(row, number)
            if row_id in seen_ids:
                row_id = f"{row_id}-{number}"
            seen_ids.add(row_id)
            variables.setdefault("id", row_id)  # `{{ id }}` names the row, unless a var is `id`
        variables = _in_order(variables, data, path)
        name = str(render(str(data["scenario"]), variables, env))
        rendered_mock = (render_tree(mock, variables, env, keep=MOCK_TURN_NAMES)
                         if mock is not None else None)
        refused = filled_in_problems(mock, rendered_mock, str(mock_source or path),
                                     number if row is not None else None)
        if refused:
            raise ScenarioFileError(refused)
        built.append(Scenario(
            name=name,
            file=path,
            line=data.line,
            steps=_steps(data.get("steps"), "steps"),
            finally_steps=_steps(data.get("finally"), "finally"),
            description=data.get("description"),
            tags=tuple(str(t) for t in data.get("tags") or ()),
            agent=data.get("agent"),
            customer=data.get("customer"),
            customers=party_ids(data.get("customers")),
            agents=build_agents(agent_mocks or {}, data, variables, env, path,
                                number if row is not None else None),
            party_agents=party_agents(data.get("customers")),
            variables=variables,
            row_id=row_id,
            row=row_values,
            mock=rendered_mock,
            mock_source=mock_source,
            skip=_reason(data.get("skip"), "skipped by the scenario file"),
            xfail=_reason(data.get("xfail"), "expected to fail (xfail in the scenario file)"),
            timeout=_timeout(data, variables, env, path),
            feature=data.get("feature"),
            story=data.get("story"),
            severity=data.get("severity"),
            owner=data.get("owner"),
            links=tuple(_link(item) for item in data.get("links") or ()),
            source_lines=source_lines,
            repeat=_repeat(data.get("repeat")),
            invariants=_invariants(data.get("invariants")),
            judge=_conversation_judge(data),
            operator=data.get("operator"),
            targets=tuple(str(t) for t in data.get("targets") or ()),
        ))
    return built


class _Refused(Exception):
    """A value that only turns out wrong once its placeholders are filled in."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def _in_order(variables: dict[str, Any], data: YMap, path: Path) -> dict[str, Any]:
    """``vars`` that use other variables, filled in; a cycle is refused at its line."""
    try:
        return resolve_variables(variables)
    except VariableCycle as cycle:
        first = cycle.chain[0]
        table = data.get("vars")
        line = table.line_of(first) if isinstance(table, YMap) and first in table else (
            data.line_of("vars") if "vars" in data else data.line_of("examples"))
        raise _Refused(Problem(
            str(path), line, f"variables use each other in a circle: {cycle}",
            "give one of them a value that uses none of the others")) from None


def _timeout(data: YMap, variables: Mapping[str, Any], env: Mapping[str, str],
             path: Path) -> float | None:
    written = data.get("timeout")
    if written is None:
        return None
    value = render(written, variables, env) if isinstance(written, str) else written
    try:
        return parse_duration(value)
    except DurationError as error:
        # Only a placeholder gets here: the checks refused every other wrong timeout.
        message = filled_in("timeout", str(written), value, error, secret=uses_env(written))
        raise _Refused(Problem(str(path), data.line_of("timeout"), message, error.fix)) from None


def _invariants(spec: Any) -> dict[str, Any]:
    """``invariants:`` as a mapping: a list of names switches each on with its defaults."""
    if isinstance(spec, list):
        return {str(name): True for name in spec}
    return dict(spec or {})


def _conversation_judge(data: YMap) -> ConversationJudge | None:
    """``judge:`` as criteria and a threshold: a text, a list, or {criteria, min_score}."""
    spec = data.get("judge")
    if spec is None:
        return None
    minimum = DEFAULT_JUDGE_SCORE
    if isinstance(spec, dict):
        minimum = float(spec.get("min_score", DEFAULT_JUDGE_SCORE))
        spec = spec.get("criteria")
    criteria = tuple(str(c) for c in (spec if isinstance(spec, list) else [spec]))
    line = data.line_of("judge")
    step = Step(block="judge", index=1, action="judge", value=None, line=line,
                end_line=_last_line(data.get("judge"), line))
    return ConversationJudge(criteria, minimum, step)


def _repeat(spec: Any) -> RepeatSpec | None:
    if not isinstance(spec, dict):
        return None
    rate, confidence = spec.get("min_pass_rate"), spec.get("confidence")
    return RepeatSpec(runs=int(spec.get("runs", 1)),
                      min_pass_rate=float(rate) if rate is not None else None,
                      confidence=float(confidence) if confidence is not None else None)


def _reason(value: Any, default: str) -> str | None:
    if value is None or value is False:
        return None
    return default if value is True else str(value)


def _link(item: Any) -> Link:
    if isinstance(item, str):
        return Link(url=item)
    return Link(url=str(item["url"]), name=item.get("name"), type=item.get("type", "link"))


def _last_line(node: Any, fallback: int) -> int:
    """The last line a node's keys or items start on, to show a step's whole YAML."""
    last = fallback
    if isinstance(node, YMap):
        for key, value in node.items():
            last = max(last, node.line_of(key), _last_line(value, last))
    elif isinstance(node, YList):
        for index, value in enumerate(node):
            last = max(last, node.line_of(index), _last_line(value, last))
    return last


def _steps(raw: Any, block: str) -> tuple[Step, ...]:
    if not raw:
        return ()
    steps = []
    for index, item in enumerate(raw, start=1):
        action = next(k for k in item if k in ACTIONS)
        line = item.line if isinstance(item, YMap) else 0
        steps.append(Step(
            block="steps" if block == "steps" else "finally",
            index=index,
            action=action,
            value=item[action],
            line=line,
            end_line=_last_line(item, line),
            name=item.get("name"),
            expect=dict(item.get("expect") or {}),
            save=dict(item.get("save") or {}),
            session_id=item.get("session_id"),
            party=item.get("as"),
        ))
    return tuple(steps)


def _duplicate_names(scenarios: list[Scenario], file: str) -> list[Problem]:
    seen: dict[str, Scenario] = {}
    problems = []
    for scenario in scenarios:
        first = seen.setdefault(scenario.test_name, scenario)
        if first is not scenario and first.line != scenario.line:
            problems.append(Problem(
                file, scenario.line,
                f"scenario name '{scenario.test_name}' is already used on line {first.line}",
                "give each scenario in a file its own name"))
    return problems
