"""``- include: fragments/login.yaml`` steps: shared step fragments, expanded in place.

A fragment file holds one YAML list of steps. ``include: {file, with}`` fills
the fragment's ``{{ name }}`` placeholders from ``with:``; any placeholder left
is the scenario's, filled in like its own steps. Paths are relative to the
including file and confined to the project like shared mock files.

Expansion happens before the scenario is checked, so every check sees the
steps it will run. To keep the fragment's lines, an included node's lines are
stored as ``origin * LINE_BASE + line``; :meth:`Expansion.located` turns a
problem on such a line back into "fragment:line, included from scenario:line".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from runner.core.errors import Problem, ScenarioFileError
from runner.core.suggest import did_you_mean
from runner.language.mock_files import MockFileCache
from runner.language.model import FragmentSpan, Scenario, Step
from runner.language.project_files import file_refused
from runner.language.templating import PLACEHOLDER
from runner.language.yamlsrc import YList, YMap, display_path, load_file

LINE_BASE = 10_000_000  # no file we read has this many lines (sizes are capped)
BLOCKS = ("steps", "finally")
_FILE_FIX = "give the path of a YAML file of steps relative to the including file's folder"


@dataclass(frozen=True)
class Origin:
    """Where included lines come from, and the chain of includes that brought them."""

    file: str
    via: str  # "refund.scenario.yaml:12" or "a.yaml:3, included from refund.scenario.yaml:12"
    include_line: int  # the `- include:` line in the scenario file itself


@dataclass
class Expansion:
    """The fragments a document included; decodes the lines of its problems and steps."""

    scenario_file: str
    origins: list[Origin] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def origin(self, line: int) -> Origin | None:
        index = line // LINE_BASE - 1
        return self.origins[index] if 0 <= index < len(self.origins) else None

    def located(self, problem: Problem) -> Problem:
        origin = self.origin(problem.line) if problem.file == self.scenario_file else None
        if origin is None:
            return problem
        return Problem(origin.file, problem.line % LINE_BASE,
                       problem.message, problem.fix, via=origin.via)

    def scenario(self, scenario: Scenario) -> Scenario:
        """Included steps point at their `- include:` line of the scenario file, and
        keep where they really are (``Step.origin``) for the reports."""
        if not self.origins:
            return scenario
        return replace(scenario, steps=tuple(self._step(s) for s in scenario.steps),
                       finally_steps=tuple(self._step(s) for s in scenario.finally_steps))

    def _step(self, step: Step) -> Step:
        origin = self.origin(step.line)
        if origin is None:
            return step
        line = step.line % LINE_BASE
        where = f"{display_path(origin.file)}:{line}, included from {origin.via}"
        span = FragmentSpan(origin.file, line, max(step.end_line % LINE_BASE, line), origin.via)
        return replace(step, line=origin.include_line, end_line=origin.include_line,
                       origin=where, fragment=span)


def expand_includes(data: YMap, path: Path, cache: MockFileCache) -> Expansion:
    """Replace every ``include:`` step of ``steps``/``finally`` by its fragment's steps."""
    expansion = Expansion(str(path))
    for block in BLOCKS:
        steps = data.get(block)
        if isinstance(steps, YList):
            data[block] = _expand(steps, path, cache, expansion, chain=(path.resolve(),),
                                  origin=None)
    return expansion


def _expand(steps: YList, path: Path, cache: MockFileCache, expansion: Expansion,
            chain: tuple[Path, ...], origin: Origin | None) -> YList:
    out = YList(line=steps.line)
    out.file = steps.file
    for index, item in enumerate(steps):
        if not (isinstance(item, YMap) and "include" in item):
            out.append(item)
            out.item_lines.append(steps.line_of(index))
            continue
        for step, line in _included(item, path, cache, expansion, chain, origin):
            out.append(step)
            out.item_lines.append(line)
    return out


def _problem(expansion: Expansion, origin: Origin | None, path: Path, line: int,
             message: str, fix: str) -> None:
    if origin is None:
        expansion.problems.append(Problem(str(path), line, message, fix))
    else:
        expansion.problems.append(Problem(origin.file, line % LINE_BASE, message, fix,
                                          via=origin.via))


def _included(item: YMap, path: Path, cache: MockFileCache, expansion: Expansion,
              chain: tuple[Path, ...], origin: Origin | None) -> list[tuple[Any, int]]:
    line = item.line_of("include")
    spec = item["include"]
    others = sorted(set(item) - {"include"})
    if others:
        _problem(expansion, origin, path, item.line_of(others[0]),
                 f"an `include:` step takes no other keys, not '{others[0]}'",
                 "put `name`, `expect` or `save` on the fragment's own steps")
        return []
    values: dict[str, Any] = {}
    with_lines: YMap | None = None
    if isinstance(spec, dict):
        written, given = spec.get("file"), spec.get("with") or {}
        if not isinstance(written, str) or not isinstance(given, dict) or \
                set(spec) - {"file", "with"}:
            _problem(expansion, origin, path, line,
                     "`include:` takes a path, or a mapping with `file:` and `with:`",
                     "write `include: fragments/login.yaml` or "
                     "`include: {file: fragments/login.yaml, with: {name: Anna}}`")
            return []
        spec, values = written, dict(given)
        with_lines = given if isinstance(given, YMap) else None
    if not isinstance(spec, str):
        _problem(expansion, origin, path, line, "`include:` needs the path of a fragment file",
                 _FILE_FIX)
        return []
    target = path.parent / spec
    refused = file_refused("fragment file", spec, target, cache, _FILE_FIX)
    if refused is not None:
        _problem(expansion, origin, path, line, refused[0], refused[1])
        return []
    real = target.resolve()
    if real in chain:
        names = " -> ".join(display_path(str(p)) for p in (*chain, real))
        _problem(expansion, origin, path, line, f"fragments include each other in a circle: "
                 f"{names}", "remove one of these includes")
        return []
    try:
        documents = load_file(target)
    except ScenarioFileError as error:
        expansion.problems.extend(error.problems)
        return []
    if len(documents) != 1 or not isinstance(documents[0].data, YList):
        expansion.problems.append(Problem(str(target), documents[0].line if documents else 1,
                                          "a fragment file must hold one list of steps",
                                          "write the steps as a YAML list: `- customer: Hi`"))
        return []
    fragment: YList = documents[0].data
    used = _names(fragment)
    unknown = [k for k in values if k not in used]
    for key in unknown:
        key_line = with_lines.line_of(key) if with_lines is not None else line
        _problem(expansion, origin, path, key_line,
                 f"`with:` gives '{key}', which {spec} does not use{did_you_mean(key, used)}",
                 f"use one of its placeholders: {', '.join(sorted(used)) or 'it has none'}")
    if unknown:
        return []
    here = f"{display_path(str(path))}:{line % LINE_BASE}"
    new = Origin(file=str(target),
                 via=here if origin is None else f"{here}, included from {origin.via}",
                 include_line=line if origin is None else origin.include_line)
    expansion.origins.append(new)
    base = len(expansion.origins) * LINE_BASE
    filled = _renumber(_fill(fragment, values), base)
    nested = _expand(filled, target, cache, expansion, (*chain, real), new)
    return list(zip(nested, nested.item_lines, strict=True))


def _names(node: Any) -> set[str]:
    """The placeholder names a fragment uses (``env.X`` is the environment's, not a name)."""
    if isinstance(node, str):
        return {n for n in PLACEHOLDER.findall(node) if not n.startswith("env.")}
    if isinstance(node, dict):
        return set().union(*(_names(v) for v in node.values()), set())
    if isinstance(node, list):
        return set().union(*(_names(v) for v in node), set())
    return set()


def _fill(node: Any, values: dict[str, Any]) -> Any:
    """``node`` with the ``with:`` placeholders filled in; other placeholders stay."""
    if isinstance(node, str):
        whole = PLACEHOLDER.fullmatch(node)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]  # a lone placeholder keeps the value's type

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            return str(values[name]) if name in values else match.group(0)

        return PLACEHOLDER.sub(one, node)
    if isinstance(node, YMap):
        mapping = YMap({k: _fill(v, values) for k, v in node.items()}, line=node.line)
        mapping.key_lines, mapping.file = dict(node.key_lines), node.file
        return mapping
    if isinstance(node, YList):
        items = YList([_fill(v, values) for v in node], line=node.line)
        items.item_lines, items.file = list(node.item_lines), node.file
        return items
    return node


def _renumber(node: Any, base: int) -> Any:
    """Lines of an included node, moved to its origin's range (see the module doc)."""
    if isinstance(node, YMap):
        node.line += base
        node.key_lines = {k: v + base for k, v in node.key_lines.items()}
        for value in node.values():
            _renumber(value, base)
    elif isinstance(node, YList):
        node.line += base
        node.item_lines = [v + base for v in node.item_lines]
        for value in node:
            _renumber(value, base)
    return node
