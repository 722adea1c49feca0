"""Running a ``request:`` step through a scenario's client."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from runner.execution.client import OsviClient
from runner.execution.exchange import Exchange
from runner.execution.raw_request import raw_call, step_token
from runner.language.model import Scenario, Step


async def send_raw(value: Mapping[str, Any], env: Mapping[str, str],
                   client: OsviClient) -> Exchange:
    """Send the call a ``request:`` step (placeholders filled in) describes."""
    return await client.raw(raw_call(value, env))


def uses_own_token(step: Step, value: Any) -> bool:
    """A ``request:`` step sending no token or another one: its 401 says nothing
    about the run's token."""
    return (step.action == "request" and isinstance(value, Mapping)
            and value.get("token", "default") != "default")


def request_tokens(scenarios: Iterable[Scenario], env: Mapping[str, str]) -> Iterator[str]:
    """Each literal or ``env.NAME`` token of the scenarios' ``request:`` steps: secrets
    like the run's token, for every front end's redactor."""
    for scenario in scenarios:
        for step in scenario.all_steps():
            if step.action == "request" and isinstance(step.value, Mapping):
                token = step_token(step.value.get("token"), env)
                if token:
                    yield token
