"""Checking mock agent specs and loading agents files, with file:line problems.

Two layers look at a spec: ``schemas/mock-agent.schema.json`` (the contract
editors use) and the compiler in :mod:`runner.language.mock_agent` (regexes, durations,
placeholders, and friendlier wording). Where both object to the same place the
compiler's message wins; the schema's remains as a safety net elsewhere.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from runner.core.errors import Problem, ScenarioFileError
from runner.core.schemas import load_schema
from runner.language.mock_agent import Issue, MockAgent, compile_agent, issue_problems
from runner.language.yamlsrc import YMap, load_file

AGENT_SCHEMA = "mock-agent.schema.json"
AGENT_UUID = re.compile(r"^agent_[A-Za-z0-9_-]+$")


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = load_schema(AGENT_SCHEMA)
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema)


def validate_agent_spec(data: Any, file: str = "<mock>", *, where: str = "mock",
                        allow_variables: bool = True) -> list[Problem]:
    """Every problem with a mock agent spec, located at the offending key's line.

    ``data`` is a :class:`~runner.language.yamlsrc.YMap` (for line numbers) or a plain
    mapping. With ``allow_variables`` (a scenario's ``mock:`` before its
    variables are substituted) a value holding ``{{ name }}`` is not judged;
    an agents file has no variables, so there it is an error.
    """
    if data is None:
        data = {}
    _, compiled = compile_agent(data, allow_variables=allow_variables)
    issues = list(compiled)
    for issue in _schema_issues(data):
        if not any(_related(issue.path, seen.path) for seen in compiled):
            issues.append(issue)
    problems = issue_problems(issues, data, file, where)
    return sorted(problems, key=lambda p: p.line)


def _related(a: tuple[str | int, ...], b: tuple[str | int, ...]) -> bool:
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def _schema_issues(data: Any) -> list[Issue]:
    issues = []
    for error in _validator().iter_errors(data):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
            for key in error.instance:
                if key not in known:
                    issues.append(Issue((*path, key), f"unknown key '{key}'", names_parent=True))
            continue
        schema = error.schema
        fix = str(schema.get("description", "")) if isinstance(schema, dict) else ""
        issues.append(Issue(path, error.message, fix))
    return issues


def load_agents_file(path: str | Path) -> dict[str, MockAgent]:
    """Agents from a YAML mapping of agent uuid to mock agent spec.

    Raises :class:`ScenarioFileError` listing every problem with its line.
    """
    name = str(path)
    documents = load_file(Path(path))
    if not documents:
        raise ScenarioFileError.single(
            name, 1, "the agents file is empty",
            "map agent uuids to mock agents, e.g. agent_support: {default_reply: Hello}")
    if len(documents) > 1:
        raise ScenarioFileError.single(
            name, documents[1].line, "an agents file holds one YAML document, not several",
            "remove the `---` and put every agent in one mapping")
    data = documents[0].data
    if not isinstance(data, dict) or not data:
        raise ScenarioFileError.single(
            name, documents[0].line, "an agents file must map agent uuids to mock agents",
            "write e.g.\nagent_support:\n  default_reply: Hello")
    problems: list[Problem] = []
    specs: dict[str, Any] = {}
    for uuid, spec in data.items():
        line = data.line_of(uuid) if isinstance(data, YMap) else 1
        if not AGENT_UUID.match(uuid):
            problems.append(Problem(name, line, f"'{uuid}' is not an agent uuid",
                                    "agent uuids look like agent_<letters, digits, _ or ->, "
                                    "e.g. agent_refunds"))
            continue
        if spec is None:
            spec = YMap(line=line)
        problems.extend(validate_agent_spec(spec, name, where=uuid, allow_variables=False))
        specs[uuid] = spec
    if problems:
        raise ScenarioFileError(problems)
    return {uuid: MockAgent.from_spec(spec, source=name, where=uuid)
            for uuid, spec in specs.items()}
