"""Turn a ``.scenario.yaml`` file into :class:`~runner.model.Scenario` objects.

Every document is validated (schema, static checks, its mock agent) before any
scenario is built; all problems of a file are raised together, so an author
fixes a file in one pass. ``examples`` rows expand into one scenario each.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runner.durations import parse_duration
from runner.errors import Problem, ScenarioFileError
from runner.mock import validate_agent_spec
from runner.model import ACTIONS, Link, RepeatSpec, Scenario, Step
from runner.templating import MOCK_TURN_NAMES, UndefinedVariable, render, render_tree
from runner.validation import check_document
from runner.yamlsrc import YList, YMap, load_documents, load_file, read_text


class MockFileCache:
    """Loads each shared mock agent file once per run, however many scenarios use it."""

    def __init__(self) -> None:
        self._files: dict[Path, tuple[Any, list[Problem]]] = {}

    def get(self, path: Path) -> tuple[Any, list[Problem]]:
        key = path.resolve()
        if key not in self._files:
            try:
                documents = load_file(key)
            except ScenarioFileError as error:
                self._files[key] = (None, list(error.problems))
            else:
                self._files[key] = self._one_mapping(path, documents)
        return self._files[key]

    @staticmethod
    def _one_mapping(path: Path, documents: list[Any]) -> tuple[Any, list[Problem]]:
        if len(documents) != 1 or not isinstance(documents[0].data, dict):
            line = documents[1].line if len(documents) > 1 else 1
            return None, [Problem(str(path), line,
                                  "a mock agent file must hold exactly one mapping",
                                  "write the agent's keys (replies, default_reply, ...) "
                                  "at the top level of the file")]
        data = documents[0].data
        return data, validate_agent_spec(data, file=str(path))


def load_scenarios(path: Path, env: Mapping[str, str],
                   mock_cache: MockFileCache | None = None) -> list[Scenario]:
    """All scenarios of one file; raises :class:`ScenarioFileError` listing every problem."""
    cache = mock_cache or MockFileCache()
    text = read_text(path)
    documents = load_documents(text, path)
    file = str(path)
    if not documents:
        raise ScenarioFileError.single(file, 1, "the file holds no scenario",
                                       "write at least `scenario:` and `steps:`")
    source_lines = tuple(text.splitlines())
    problems: list[Problem] = []
    scenarios: list[Scenario] = []
    for document in documents:
        data = document.data
        found = check_document(data, file, env)
        if not found and isinstance(data, YMap):
            mock, mock_source, mock_problems = _resolve_mock(data, path, cache)
            # A shared mock file's problems are the same for every document using it.
            found.extend(p for p in mock_problems if p not in problems)
            if not found:
                try:
                    scenarios.extend(_build(data, path, env, mock, mock_source, source_lines))
                except UndefinedVariable as error:
                    found.append(Problem(file, data.line_of("mock"), str(error),
                                         "define it under `vars:` or in every `examples` row"))
        problems.extend(found)
    problems.extend(_duplicate_names(scenarios, file))
    if problems:
        raise ScenarioFileError(problems)
    return scenarios


def _resolve_mock(data: YMap, path: Path,
                  cache: MockFileCache) -> tuple[Any, Path | None, list[Problem]]:
    spec = data.get("mock")
    if spec is None:
        return None, None, []
    if isinstance(spec, str):
        target = path.parent / spec
        problem = _mock_file_problem(spec, target, path)
        if problem is not None:
            return None, None, [Problem(
                str(path), data.line_of("mock"), problem,
                "give the path of a YAML file relative to this scenario file's folder, "
                "or write the agent inline under `mock:`")]
        loaded, problems = cache.get(target)
        return loaded, target, problems
    return spec, None, validate_agent_spec(spec, file=str(path))


def _mock_file_problem(spec: str, target: Path, scenario: Path) -> str | None:
    """Why ``mock: spec`` cannot be read as an agent file, or None when it can.

    An agent file cannot include another, so the only way to go round in a
    circle is a path back to the scenario itself, or a symbolic link loop.
    """
    where = f"(looked for {os.path.abspath(target)})"
    try:
        real = target.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a link loop (RuntimeError before 3.13)
        if os.path.lexists(target):
            return (f"mock agent file '{spec}' is a symbolic link that loops or leads "
                    f"nowhere {where}")
        return f"mock agent file '{spec}' not found {where}"
    if real == scenario.resolve():
        return f"mock agent file '{spec}' is this scenario file itself"
    if real.is_dir():
        return f"mock agent file '{spec}' is a folder {where}"
    if not real.is_file():
        return f"mock agent file '{spec}' is not a regular file (a pipe or a device?) {where}"
    return None


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
           mock_source: Path | None, source_lines: tuple[str, ...]) -> list[Scenario]:
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
        name = str(render(str(data["scenario"]), variables, env))
        rendered_mock = (render_tree(mock, variables, env, keep=MOCK_TURN_NAMES)
                         if mock is not None else None)
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
            variables=variables,
            row_id=row_id,
            row=row_values,
            mock=rendered_mock,
            mock_source=mock_source,
            skip=_reason(data.get("skip"), "skipped by the scenario file"),
            xfail=_reason(data.get("xfail"), "expected to fail (xfail in the scenario file)"),
            timeout=parse_duration(data["timeout"]) if data.get("timeout") is not None else None,
            feature=data.get("feature"),
            story=data.get("story"),
            severity=data.get("severity"),
            owner=data.get("owner"),
            links=tuple(_link(item) for item in data.get("links") or ()),
            source_lines=source_lines,
            repeat=_repeat(data.get("repeat")),
            invariants=dict(data.get("invariants") or {}),
        ))
    return built


def _repeat(spec: Any) -> RepeatSpec | None:
    if not isinstance(spec, dict):
        return None
    rate = spec.get("min_pass_rate")
    return RepeatSpec(runs=int(spec.get("runs", 1)),
                      min_pass_rate=float(rate) if rate is not None else None)


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
