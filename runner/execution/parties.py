"""The parties of one run: each customer's id, its agent and its latest session.

A step with ``as: anna`` sends as anna's customer_id, to anna's agent
(``customers: {anna: {agent: sales}}``), and acts on anna's session, so two
parties never share a session unless the platform mixes them up, which is what
a scenario with several parties sets out to catch.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from runner.language.agents import mock_uuid
from runner.language.mock_variants import mock_for_run
from runner.language.model import NamedAgent


def new_customer_id() -> str:
    return f"osvi-qa-{uuid.uuid4().hex[:12]}"


class MissingAgent(Exception):
    """A named agent with no id on a live run (collection skips it; a direct run breaks)."""


def agent_uuids(agents: Mapping[str, NamedAgent], target_kind: str) -> dict[str, str]:
    """Each named agent's uuid on this target: ``agent_<name>`` on the mock, its ``id`` live."""
    if target_kind == "mock":
        return {name: mock_uuid(name) for name in agents}
    uuids: dict[str, str] = {}
    for name, agent in agents.items():
        if agent.id is None:
            raise MissingAgent(agent.missing or f"agent `{name}` has no id for a live run")
        uuids[name] = agent.id
    return uuids


def mock_agents(agents: Mapping[str, NamedAgent], run_number: int,
                env: Mapping[str, str]) -> dict[str, dict[str, Any] | None]:
    """The embedded mock's agents for the named ones, by uuid (None: the demo agent)."""
    return {mock_uuid(name): mock_for_run(agent.mock, run_number, env)
            for name, agent in agents.items()}


class Parties:
    def __init__(self, written: Mapping[str, str | None],
                 agents: Mapping[str, str] | None = None) -> None:
        self._written = dict(written)
        self._agent_names = dict(agents or {})  # party → the name of its agent
        self.ids: dict[str, str] = {}
        self.agents: dict[str, str] = {}  # party → its agent's uuid (absent: the scenario's)
        self._sessions: dict[str, str] = {}

    def resolve(self, fill: Callable[[str], str], *, fresh: bool) -> None:
        """Each party's customer_id: as written (placeholders filled), else a fresh one.
        ``fresh`` (repeated runs) ignores written ids so that runs never share a session."""
        for name, given in self._written.items():
            self.ids[name] = fill(given) if given and not fresh else new_customer_id()

    def resolve_agents(self, uuids: Mapping[str, str]) -> None:
        """Each party's agent uuid, from the named agents' uuids on this target."""
        self.agents = {party: uuids[name] for party, name in self._agent_names.items()}

    def agent(self, party: str | None, default: str) -> str:
        """The agent ``party`` talks to; ``default`` (the scenario's) for no party or agent."""
        return self.agents.get(party, default) if party is not None else default

    def label(self, party: str | None) -> str:
        """How the chat marks a party's message: ``as anna``, ``as anna to sales``."""
        if party is None:
            return ""
        agent = self._agent_names.get(party)
        return f"as {party} to {agent}" if agent else f"as {party}"

    def session(self, party: str) -> str | None:
        return self._sessions.get(party)

    def follow(self, party: str, session: str) -> None:
        self._sessions[party] = session
