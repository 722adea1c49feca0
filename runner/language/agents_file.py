"""Agents files (``osvi-mock serve --agents FILE``): agent uuids mapped to mock agents.

Each agent is validated like a scenario's ``mock:`` and may ``extends:`` a
mock agent file (with ``add_replies:``), by a path relative to the agents
file, with the same problems for a missing base or a circle. An agents file
has no variables, so a ``{{ name }}`` left in an agent (or in what it
extends) is a problem here, not something to fill in later.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from runner.core.errors import Problem, ScenarioFileError
from runner.language.agent_extends import resolve_extends
from runner.language.mock_agent import MockAgent
from runner.language.mock_files import MockFileCache
from runner.language.mock_spec import validate_agent_spec
from runner.language.pattern_warnings import agents_file_warnings
from runner.language.yamlsrc import YMap, load_file

AGENT_UUID = re.compile(r"^agent_[A-Za-z0-9_-]+$")


def load_agents_file(path: str | Path,
                     warnings: list[Problem] | None = None) -> dict[str, MockAgent]:
    """Agents from a YAML mapping of agent uuid to mock agent spec.

    Raises :class:`ScenarioFileError` listing every problem with its line. Patterns
    that can backtrack for ever (in the file or in what it extends) go to
    ``warnings``, each naming its agent and line.
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
    # The person who starts the server chose the file: its bases may be anywhere.
    cache = MockFileCache(None)
    problems: list[Problem] = []
    specs: dict[str, Any] = {}
    for uuid, spec in data.items():
        line = data.line_of(uuid) if isinstance(data, YMap) else 1
        if not AGENT_UUID.match(str(uuid)):
            problems.append(Problem(name, line, f"'{uuid}' is not an agent uuid",
                                    "agent uuids look like agent_<letters, digits, _ or ->, "
                                    "e.g. agent_refunds"))
            continue
        if spec is None:
            spec = YMap(line=line)
        own = validate_agent_spec(spec, name, where=uuid, allow_variables=False)
        if not own:  # what it extends, once the agent itself is valid
            spec, own = resolve_extends(spec, Path(path), cache, where=uuid,
                                        allow_variables=False)
        problems.extend(p for p in own if p not in problems)  # a shared base's, once
        specs[uuid] = spec
    if problems:
        raise ScenarioFileError(problems)
    if warnings is not None:
        warnings.extend(agents_file_warnings(data, name))
        warnings.extend(cache.all_new_warnings())  # the files it extends
    return {uuid: MockAgent.from_spec(spec, where=uuid) for uuid, spec in specs.items()}
