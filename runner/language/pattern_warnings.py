"""Warnings, at check time, about patterns that can backtrack catastrophically.

Such a pattern is legal and usually works, so it is a warning, not a problem:
``osvi-scenarios check`` prints it and pytest shows it in its warnings summary.
At run time a search that overruns stops after
:data:`runner.language.patterns.SEARCH_TIMEOUT` and fails its scenario.

Patterns are looked for where the language has them: ``matches`` and
``not_matches`` in expectations and invariants, and every text in a mock
rule's ``when`` (where a bare string is a regular expression), the scenario's
``mock:`` and its named agents' (``agents:``) alike. A mock agent file's
(named by a scenario, or pulled in by ``extends:``) are found when
:class:`runner.language.mock_files.MockFileCache` reads it, and told once a run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from runner.core.errors import Problem
from runner.language.locate import dotted_path
from runner.language.patterns import SEARCH_TIMEOUT, risky_repetition
from runner.language.yamlsrc import line_at

Path = tuple[str | int, ...]
_REGEX_KEYS = ("matches", "not_matches")
_WHEN_FIELDS = ("message", "whisper", "context", "state", "version", "not")


def scenario_warnings(data: Any, file: str) -> list[Problem]:
    """Warnings for one scenario document (its inline mock agent included)."""
    if not isinstance(data, dict):
        return []
    found: list[tuple[str, Path]] = []
    for block in ("steps", "finally"):
        steps = data.get(block)
        if isinstance(steps, list):
            for index, step in enumerate(steps):
                if isinstance(step, dict) and "expect" in step:
                    found += _matcher_patterns(step["expect"], (block, index, "expect"))
    if "invariants" in data:
        found += _matcher_patterns(data["invariants"], ("invariants",))
    if isinstance(data.get("mock"), dict):
        found += _agent_patterns(data["mock"], ("mock",))
    agents = data.get("agents")
    if isinstance(agents, dict):  # named agents' inline mocks (a file is warned about once)
        for name, spec in agents.items():
            if isinstance(spec, dict) and isinstance(spec.get("mock"), dict):
                found += _agent_patterns(spec["mock"], ("agents", name, "mock"))
    return _warnings(found, data, file)


def agent_warnings(data: Any, file: str) -> list[Problem]:
    """Warnings for a mock agent file."""
    return _warnings(_agent_patterns(data, ()), data, file) if isinstance(data, dict) else []


def agents_file_warnings(data: Any, file: str) -> list[Problem]:
    """Warnings for an agents file (``osvi-mock serve --agents``), each naming its agent."""
    if not isinstance(data, dict):
        return []
    found = [item for uuid, agent in data.items() if isinstance(agent, dict)
             for item in _agent_patterns(agent, (str(uuid),))]
    return _warnings(found, data, file, named=True)


def _warnings(found: list[tuple[str, Path]], root: Any, file: str, *,
              named: bool = False) -> list[Problem]:
    warnings: dict[int, Problem] = {}
    for pattern, path in found:
        risk = risky_repetition(pattern)
        line = line_at(root, path)
        if risk is not None and line not in warnings:
            # One of several agents: say whose mock it is, `agents.sales.mock.replies[0].when`.
            where = (f"{dotted_path('', path)}: " if named or path[:1] == ("agents",)
                     else "")
            warnings[line] = Problem(
                file, line, f"{where}the pattern /{pattern}/ {risk.message}, which can take "
                "exponential time on a text that almost matches (a search stops after "
                f"{SEARCH_TIMEOUT:g}s and fails the scenario)", risk.fix)
    return [warnings[line] for line in sorted(warnings)]


def _matcher_patterns(node: Any, path: Path) -> Iterator[tuple[str, Path]]:
    """``matches``/``not_matches`` anywhere below a text or list matcher."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _REGEX_KEYS and isinstance(value, str):
                yield value, (*path, key)
            else:
                yield from _matcher_patterns(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _matcher_patterns(value, (*path, index))


def _agent_patterns(agent: dict[str, Any], path: Path) -> list[tuple[str, Path]]:
    found_all: list[tuple[str, Path]] = []
    for key in ("replies", "append"):  # `append` items have a rule's `when`
        rules = agent.get(key)
        if isinstance(rules, list):
            found_all += [found for index, rule in enumerate(rules)
                          if isinstance(rule, dict) and "when" in rule
                          for found in _when_patterns(rule["when"], (*path, key, index, "when"))]
    return found_all


def _when_patterns(node: Any, path: Path) -> Iterator[tuple[str, Path]]:
    """In a `when`, every text that stands for a matcher is a regular expression."""
    if isinstance(node, str):
        yield node, path
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in _REGEX_KEYS and isinstance(value, str):
                yield value, (*path, key)
            elif key in _WHEN_FIELDS:
                yield from _when_patterns(value, (*path, key))
            elif key in ("any_of", "all_of") and isinstance(value, list):
                for index, item in enumerate(value):
                    yield from _when_patterns(item, (*path, key, index))
