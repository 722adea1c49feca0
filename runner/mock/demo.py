"""The demo agent, defined in ``demo_agent.yaml`` beside this module."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from runner.core.errors import ScenarioFileError
from runner.language.agents_file import load_agents_file
from runner.language.mock_agent import MockAgent
from runner.language.mock_spec import validate_agent_spec
from runner.language.yamlsrc import load_file

DEMO_AGENT_UUID = "agent_demo"
DEMO_FILE = Path(__file__).with_name("demo_agent.yaml")


def demo_agents() -> dict[str, MockAgent]:
    """The agents the standalone server serves when given no agents file."""
    return load_agents_file(DEMO_FILE)


@cache
def _demo_tree() -> Any:
    """The demo agent as written, validated once: only valid specs are compiled."""
    tree = load_file(DEMO_FILE)[0].data[DEMO_AGENT_UUID]
    problems = validate_agent_spec(tree, str(DEMO_FILE), where=DEMO_AGENT_UUID,
                                   allow_variables=False)
    if problems:
        raise ScenarioFileError(problems)
    return tree


def demo_agent_spec() -> dict[str, Any]:
    """The demo agent's spec as plain data (a fresh copy each call), for ``MockAgent.from_spec``."""
    spec = _plain(_demo_tree())
    assert isinstance(spec, dict)
    return spec


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
