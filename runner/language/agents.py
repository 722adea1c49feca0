"""Named agents (``agents:``) and the customers that talk to them (``agent: sales``).

```yaml
agents:
  sales: {id: "{{ env.OSVI_SALES_AGENT }}", mock: {default_reply: "Sales here."}}
  billing: {id: "{{ env.OSVI_BILLING_AGENT }}", mock: agents/billing.yaml}
customers:
  anna: {agent: sales}
  ben: {agent: billing}
```

A customer party sends to its agent; a step without ``as:`` (and a party
without ``agent:``) keeps the scenario's ``agent``. ``id`` is the agent_uuid
against a live API: it is filled in at load, and a live run without one (not
written, or its environment variable not set) is skipped with the reason,
since a scenario cannot prove two agents apart with one of them missing. On
the embedded mock ``id`` is not used: each named agent is its own mock agent,
hosted as ``agent_<name>``, so the scenario runs without any configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from runner.core.errors import Problem, ScenarioFileError
from runner.core.suggest import did_you_mean
from runner.language.agent_extends import resolve_extends
from runner.language.mock_checks import mock_problems
from runner.language.mock_files import MockFileCache
from runner.language.mock_spec import filled_in_problems
from runner.language.model import NamedAgent, Scenario
from runner.language.templating import MOCK_TURN_NAMES, UndefinedVariable, render, render_tree
from runner.language.yamlsrc import YMap

# The embedded mock's default agent is `agent_mock`: a named agent may not take its place.
_RESERVED = "mock"

# (path, message, fix): how the document checker records a problem.
AddProblem = Callable[[tuple[str | int, ...], str, str], None]

# A named agent's mock, once read and merged: (spec, the file it came from or None).
AgentMocks = dict[str, tuple[Any, Path | None]]


def mock_uuid(name: str) -> str:
    """The uuid a named agent has on the embedded mock."""
    return f"agent_{name}"


def party_agents(customers: Any) -> dict[str, str]:
    """``customers:`` as party → the name of the agent it talks to (only those that say)."""
    if not isinstance(customers, Mapping):
        return {}
    return {str(name): str(party["agent"]) for name, party in customers.items()
            if isinstance(party, Mapping) and isinstance(party.get("agent"), str)}


def check_agents(data: Mapping[str, Any], file: str, add: AddProblem) -> list[Problem]:
    """Names that must match (a party's ``agent:``), and every inline agent's mock checks."""
    agents = data.get("agents")
    names = [str(n) for n in agents] if isinstance(agents, Mapping) else []
    if _RESERVED in names:
        add(("agents", _RESERVED), f"an agent cannot be named `{_RESERVED}`: on the embedded "
            f"mock it would be the default agent, agent_{_RESERVED}",
            "choose another name, e.g. `support`")
    for party, wanted in party_agents(data.get("customers")).items():
        if wanted in names:
            continue
        where = ("customers", party, "agent")
        if not names:
            add(where, f"`agent: {wanted}` names an agent, but the scenario has no `agents:`",
                f"add `agents: {{{wanted}: {{id: ..., mock: ...}}}}` at the top of the "
                "scenario, or remove `agent:` to talk to the scenario's `agent`")
        else:
            add(where, f"`agent: {wanted}` is not an agent under `agents:`"
                f"{did_you_mean(wanted, names)}",
                "write one of " + ", ".join(f"`{n}`" for n in names) + " or add it to `agents:`")
    problems: list[Problem] = []
    for name in names:
        spec = agents.get(name) if isinstance(agents, Mapping) else None
        mock = spec.get("mock") if isinstance(spec, Mapping) else None
        if isinstance(mock, dict):
            problems += mock_problems(mock, file, f"agents.{name}.mock", variables=True)
    return problems


def resolve_agent_mocks(data: YMap, path: Path,
                        cache: MockFileCache) -> tuple[AgentMocks, list[Problem]]:
    """Each named agent's mock: its file read (confined like ``mock:``), ``extends:`` merged."""
    agents = data.get("agents")
    resolved: AgentMocks = {}
    problems: list[Problem] = []
    if not isinstance(agents, Mapping):
        return resolved, problems
    for name, spec in agents.items():
        mock = spec.get("mock") if isinstance(spec, Mapping) else None
        source: Path | None = None
        if isinstance(mock, str):
            target = path.parent / mock
            line = spec.line_of("mock") if isinstance(spec, YMap) else data.line_of("agents")
            refused = cache.problem(mock, target, path)
            if refused is not None:
                problems.append(Problem(str(path), line, *refused))
                continue
            mock, found = cache.get(target)
            source = target
            if found:
                problems.extend(found)
                continue
        if mock is not None:
            mock, found = resolve_extends(mock, source or path, cache)
            if found:
                problems.extend(found)
                continue
        resolved[str(name)] = (mock, source)
    return resolved, problems


def build_agents(mocks: AgentMocks, data: YMap, variables: Mapping[str, Any],
                 env: Mapping[str, str], path: Path, row: int | None) -> dict[str, NamedAgent]:
    """The named agents of one scenario (one ``examples`` row): ids and mocks filled in."""
    agents = data.get("agents")
    if not isinstance(agents, Mapping):
        return {}
    built: dict[str, NamedAgent] = {}
    for name, spec in agents.items():
        name = str(name)
        mock, source = mocks.get(name, (None, None))
        filled = render_tree(mock, variables, env, keep=MOCK_TURN_NAMES) if mock else None
        refused = filled_in_problems(mock, filled, str(source or path), row)
        if refused:
            raise ScenarioFileError(refused)
        written = spec.get("id") if isinstance(spec, Mapping) else None
        agent_id, missing = _live_id(name, written, variables, env)
        built[name] = NamedAgent(name, agent_id, missing, filled, source)
    return built


def _live_id(name: str, written: Any, variables: Mapping[str, Any],
             env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(the agent_uuid, None), or (None, why there is none)."""
    if written is None:
        return None, f"agent `{name}` has no `id:` for a live run"
    try:
        value = str(render(str(written), variables, env)).strip()
    except UndefinedVariable as error:
        why = (f"environment variable '{error.name[4:]}' is not set"
               if error.name.startswith("env.") else str(error))
        return None, f"agent `{name}` has no id for a live run: {why}"
    if not value:
        return None, f"agent `{name}` has no id for a live run: `id:` is empty"
    return value, None


def live_skip(scenario: Scenario) -> str | None:
    """Why ``scenario`` cannot run live (an agent without an id), or None."""
    missing = [agent.missing for agent in scenario.agents.values() if agent.missing]
    if not missing:
        return None
    return (f"{scenario.test_name!r}: {'; '.join(missing)}; set it to run live (on the "
            "embedded mock each named agent is its mock)")
